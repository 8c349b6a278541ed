// disk.tmpfs: a tmpfs of a given size mounted at a path — the install's workspace, which survives the old root disk
// being overwritten and, unlike Debian's /run, allows exec (a busybox link farm lives there).
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { command } from "../../src/shell.js";
import { mounts } from "../../facts/server/mounts.js";
import { parseMode } from "../files/attributes.js";
import { requireAbsolute } from "../files/path.js";

export interface TmpfsArgs {
  path: string;
  /** Size in MiB. */
  sizeMiB?: number;
  /** The same as a string ("64m", "1g") or bytes; give sizeMiB or size. */
  size?: string | number;
  /** Mode of the tmpfs root, e.g. "0700". */
  mode?: number | string;
}

const NAME = "disk.tmpfs";

/** "64m" → "size=65536k", as /proc/mounts prints it. */
export function sizeOption(size: string | number): string {
  const m = /^(\d+)([kmg]?)$/i.exec(String(size).trim());
  if (!m) throw new UsageError(`${NAME}: size must be like "64m", "1g" or a number of bytes, got ${JSON.stringify(size)}`);
  const factor = { "": 1 / 1024, k: 1, m: 1024, g: 1024 * 1024 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  const kib = Math.ceil(Number(m[1]) * factor);
  if (kib <= 0) throw new UsageError(`${NAME}: size must be positive, got ${JSON.stringify(size)}`);
  return `size=${kib}k`;
}

function options(a: TmpfsArgs): { path: string; size: string; mode: string | null } {
  const path = requireAbsolute(a.path, NAME);
  if ((a.sizeMiB === undefined) === (a.size === undefined)) throw new UsageError(`${NAME} ${path}: give sizeMiB (or size)`);
  if (a.sizeMiB !== undefined && (!Number.isSafeInteger(a.sizeMiB) || a.sizeMiB <= 0)) throw new UsageError(`${NAME} ${path}: sizeMiB must be a whole number > 0, got ${JSON.stringify(a.sizeMiB)}`);
  const size = sizeOption(a.sizeMiB !== undefined ? `${a.sizeMiB}m` : a.size!);
  const mode = parseMode(a.mode, `${NAME} ${path}`);
  return { path, size, mode: mode === undefined ? null : `mode=${mode.toString(8).padStart(3, "0")}` };
}

export const tmpfs = defineOperation<TmpfsArgs>({
  name: NAME,
  describe: (a) => `a tmpfs at ${a.path} (${a.sizeMiB !== undefined ? `${a.sizeMiB} MiB` : a.size})`,
  facts: (a) => {
    options(a);
    return [mounts];
  },
  async plan(host, a) {
    const { path, size, mode } = options(a);
    // Mounts stack: the last entry for a path is the one visible there.
    const current = (await host.fact(mounts)).filter((m) => m.mountpoint === path).at(-1);
    const wanted = [size, ...(mode ? [mode] : [])];
    const invalidates = ["server.mounts", "files.*"];
    if (!current) {
      return {
        description: `mount a ${size.slice(5)} tmpfs at ${path}${mode ? ` (${mode})` : ""}`,
        steps: [{ command: `${command("mkdir", "-p", "--", path)} && ${command("mount", "-t", "tmpfs", "-o", wanted.join(","), "--", "tmpfs", path)}` }],
        invalidates,
      };
    }
    if (current.fstype !== "tmpfs") throw new Error(`${NAME}: ${path} has ${current.device} (${current.fstype}) mounted, not a tmpfs: unmount it first or pick another path`);
    const missing = wanted.filter((o) => !current.options.includes(o));
    if (missing.length === 0) return null;
    // A tmpfs can grow or shrink (down to what it holds) in place; mode changes too.
    return {
      description: `remount the tmpfs at ${path} with ${missing.join(",")} (was ${current.options.join(",")})`,
      steps: [{ command: command("mount", "-o", ["remount", ...missing].join(","), "--", path) }],
      invalidates,
    };
  },
});
