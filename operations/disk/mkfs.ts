// disk.mkfs: a device holds a filesystem of the given type (and label; for XFS, optionally with its log on another
// device). A device already holding exactly that is left alone; one holding anything else — another filesystem, swap,
// a partition table, an XFS log — is refused unless `force`; a mounted one always is.
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { command } from "../../src/shell.js";
import { filesystem, type FilesystemProbe } from "../../facts/block/filesystem.js";
import { mounts } from "../../facts/server/mounts.js";
import { requireAbsolute } from "../files/path.js";

export type FsType = "xfs" | "ext2" | "ext3" | "ext4" | "swap";

export interface MkfsArgs {
  device: string;
  fstype: FsType;
  label?: string;
  /** XFS: put the log on this device (`-l logdev=...`), e.g. a 128 MiB partition beside /var. */
  logDevice?: string;
  /** XFS: the external log's size in MiB (default: mkfs.xfs's choice, at most the log device). */
  logSizeMiB?: number;
  /** Extra arguments for the mkfs tool, passed as they are. */
  options?: string[];
  /** Format over whatever the device (and log device) holds. A device already holding exactly this is still kept. */
  force?: boolean;
}

const NAME = "disk.mkfs";
const LABEL_MAX: Record<FsType, number> = { xfs: 12, ext2: 16, ext3: 16, ext4: 16, swap: 16 };

interface Checked {
  device: string;
  logDevice: string | null;
}

function check(a: MkfsArgs): Checked {
  const device = requireAbsolute(a.device, NAME);
  const where = `${NAME} ${device}`;
  if (!Object.hasOwn(LABEL_MAX, a.fstype)) throw new UsageError(`${where}: fstype must be one of ${Object.keys(LABEL_MAX).join(", ")}, got ${JSON.stringify(a.fstype)}`);
  if (a.label !== undefined && (typeof a.label !== "string" || a.label === "" || a.label.length > LABEL_MAX[a.fstype] || /[\s/]/.test(a.label))) {
    throw new UsageError(`${where}: a ${a.fstype} label is 1-${LABEL_MAX[a.fstype]} characters without spaces or /, got ${JSON.stringify(a.label)}`);
  }
  if ((a.logDevice !== undefined || a.logSizeMiB !== undefined) && a.fstype !== "xfs") throw new UsageError(`${where}: logDevice and logSizeMiB are for xfs only`);
  if (a.logSizeMiB !== undefined && (a.logDevice === undefined || !Number.isSafeInteger(a.logSizeMiB) || a.logSizeMiB <= 0)) throw new UsageError(`${where}: logSizeMiB is a whole number of MiB > 0, with logDevice`);
  if (a.options !== undefined && (!Array.isArray(a.options) || a.options.some((o) => typeof o !== "string"))) throw new UsageError(`${where}: options must be a list of strings`);
  const logDevice = a.logDevice === undefined ? null : requireAbsolute(a.logDevice, `${where}: logDevice`);
  if (logDevice === device) throw new UsageError(`${where}: logDevice must be another device`);
  return { device, logDevice };
}

export function mkfsCommand(a: MkfsArgs): string {
  const label = a.label !== undefined ? ["-L", a.label] : [];
  const extra = a.options ?? [];
  switch (a.fstype) {
    case "xfs": {
      const log = a.logDevice ? ["-l", `logdev=${a.logDevice}${a.logSizeMiB ? `,size=${a.logSizeMiB}m` : ""}`] : [];
      return command("mkfs.xfs", "-q", ...(a.force ? ["-f"] : []), ...label, ...log, ...extra, a.device);
    }
    case "swap":
      // busybox mkswap knows only -L.
      return command("mkswap", ...label, ...extra, a.device);
    default:
      // busybox mke2fs knows -F and -L but not -q.
      return command(`mkfs.${a.fstype}`, ...(a.force ? ["-F"] : []), ...label, ...extra, a.device);
  }
}

export function describeProbe(p: FilesystemProbe): string | null {
  if (p.type !== null) return `${p.type}${p.label ? ` "${p.label}"` : ""}${p.type === "xfs" && p.xfsExternalLog ? " (external log)" : ""}`;
  if (p.partitionTable !== null) return `a ${p.partitionTable} partition table`;
  return null;
}

export const mkfs = defineOperation<MkfsArgs>({
  name: NAME,
  describe: (a) => `${a.fstype}${a.label ? ` "${a.label}"` : ""} on ${a.device}${a.logDevice ? ` with its log on ${a.logDevice}` : ""}`,
  facts: (a) => {
    const { device, logDevice } = check(a);
    return [filesystem(device), ...(logDevice ? [filesystem(logDevice)] : []), mounts];
  },
  async plan(host, a) {
    const { device, logDevice } = check(a);
    const now = await host.fact(filesystem(device));
    const log = logDevice ? await host.fact(filesystem(logDevice)) : null;
    const table = await host.fact(mounts);
    for (const d of [device, logDevice]) {
      const m = table.find((x) => x.device === d);
      if (m) throw new Error(`${NAME}: ${d} is mounted at ${m.mountpoint}; refusing to format a mounted device`);
    }
    const done =
      now.type === a.fstype &&
      (a.label === undefined || now.label === a.label) &&
      (logDevice === null ? now.xfsExternalLog !== true : now.xfsExternalLog === true && log?.type === "xfs_external_log");
    if (done) return { description: `${device} holds ${describeProbe(now)}`, steps: [] };

    const held = [
      ...(describeProbe(now) ? [`${device} holds ${describeProbe(now)}`] : []),
      ...(log && describeProbe(log) ? [`${logDevice} holds ${describeProbe(log)}`] : []),
    ];
    if (held.length > 0 && !a.force) {
      throw new Error(`${NAME}: ${held.join(", ")}; refusing to format ${device} as ${a.fstype}${a.label ? ` "${a.label}"` : ""} without force: true`);
    }
    return {
      description: `make ${a.fstype}${a.label ? ` "${a.label}"` : ""} on ${device}${logDevice ? ` with a${a.logSizeMiB ? ` ${a.logSizeMiB} MiB` : "n"} external log on ${logDevice}` : ""}${held.length ? ` (over what was there, forced: ${held.join(", ")})` : ""}`,
      steps: [{ command: mkfsCommand({ ...a, device, ...(logDevice ? { logDevice } : {}) }), timeoutMs: 600_000 }],
      invalidates: ["block.*"],
    };
  },
});
