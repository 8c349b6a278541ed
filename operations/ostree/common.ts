// What the ostree operations share: argument checks and the `ostree admin` command line for a sysroot.
import { UsageError } from "../../src/errors.js";
import { command } from "../../src/shell.js";
import { requireAbsolute } from "../files/path.js";

export interface OstreeTarget {
  /** The OS name of the deployments (default "pine"). */
  osname?: string;
  /** "/" (default) for the running system, or the root of a tree being prepared. */
  sysroot?: string;
}

export function target(a: OstreeTarget, where: string): { osname: string; sysroot: string; repo: string } {
  const osname = a.osname ?? "pine";
  if (!/^[A-Za-z0-9_.-]+$/.test(osname)) throw new UsageError(`${where}: osname must be a plain name like "pine", got ${JSON.stringify(osname)}`);
  const sysroot = requireAbsolute(a.sysroot ?? "/", `${where}: sysroot`);
  return { osname, sysroot, repo: sysroot === "/" ? "/ostree/repo" : `${sysroot}/ostree/repo` };
}

export function commitId(value: unknown, where: string, name = "commit"): string {
  if (typeof value !== "string" || !/^[0-9a-f]{64}$/.test(value)) throw new UsageError(`${where}: ${name} must be a full 64-hex-digit commit checksum, got ${JSON.stringify(value)}`);
  return value;
}

/** `ostree admin SUB [--sysroot=S] ARGS...` */
export function admin(sysroot: string, sub: string, ...args: Array<string | number>): string {
  return command("ostree", "admin", sub, ...(sysroot === "/" ? [] : [`--sysroot=${sysroot}`]), ...args);
}
