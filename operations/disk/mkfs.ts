// disk.mkfs: a device holds a filesystem of the given type. A device already holding it is left alone; one holding
// ANOTHER filesystem (or swap) is refused unless `force` — a deploy must say it means to destroy data.
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { command } from "../../src/shell.js";
import { fsSignature, type FsSignature } from "../../facts/block/fs-signature.js";
import { requireAbsolute } from "../files/path.js";

export type FsType = "xfs" | "ext2" | "ext3" | "ext4" | "swap";

export interface MkfsArgs {
  device: string;
  fstype: FsType;
  label?: string;
  /** Extra arguments for the mkfs tool, e.g. ["-l", "logdev=/dev/loop3,size=128m"] for an external XFS log. */
  options?: string[];
  /** Format even over another filesystem (a device already holding this type is still left alone). */
  force?: boolean;
}

const FAMILY: Record<FsType, FsSignature> = { xfs: "xfs", ext2: "ext", ext3: "ext", ext4: "ext", swap: "swap" };

export function mkfsCommand(a: MkfsArgs): string {
  const label = a.label !== undefined ? ["-L", a.label] : [];
  const extra = a.options ?? [];
  switch (a.fstype) {
    case "xfs":
      return command("mkfs.xfs", "-q", ...(a.force ? ["-f"] : []), ...label, ...extra, a.device);
    case "swap":
      return command("mkswap", ...label, ...extra, a.device);
    default:
      return command(`mkfs.${a.fstype}`, "-q", ...(a.force ? ["-F"] : []), ...label, ...extra, a.device);
  }
}

export const mkfs = defineOperation<MkfsArgs>({
  name: "disk.mkfs",
  describe: (a) => `${a.fstype} on ${a.device}`,
  facts: (a) => [fsSignature(requireAbsolute(a.device, "disk.mkfs"))],
  async plan(host, a) {
    const device = requireAbsolute(a.device, "disk.mkfs");
    if (!Object.hasOwn(FAMILY, a.fstype)) throw new UsageError(`disk.mkfs ${device}: fstype must be one of ${Object.keys(FAMILY).join(", ")}, got ${JSON.stringify(a.fstype)}`);
    if (a.label !== undefined && (typeof a.label !== "string" || a.label === "" || a.label.length > 12 || /[\s/]/.test(a.label))) throw new UsageError(`disk.mkfs ${device}: label must be 1-12 characters without spaces or /`);
    if (a.options !== undefined && (!Array.isArray(a.options) || a.options.some((o) => typeof o !== "string"))) throw new UsageError(`disk.mkfs ${device}: options must be a list of strings`);
    const now = await host.fact(fsSignature(device));
    // force destroys ANOTHER filesystem; a device already holding the asked type is kept either way.
    if (now === FAMILY[a.fstype]) return null;
    if (now !== null && !a.force) {
      throw new Error(`disk.mkfs: ${device} already holds ${now === "ext" ? "an ext2/3/4 filesystem" : now}; refusing to format it as ${a.fstype} without force: true`);
    }
    return {
      description: `make ${a.fstype}${a.label ? ` "${a.label}"` : ""} on ${device}${now ? ` (over ${now}, forced)` : ""}`,
      steps: [{ command: mkfsCommand({ ...a, device }), timeoutMs: 600_000 }],
      invalidates: ["block.*"],
    };
  },
});
