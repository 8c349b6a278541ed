// server.mount: a filesystem is mounted at a path (with the options asked), or nothing is. The running state only:
// /etc/fstab is not edited (use files.line for that), so a reboot forgets a mount made here.
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { command, quote } from "../../src/shell.js";
import { file } from "../../facts/files/file.js";
import { mounts } from "../../facts/server/mounts.js";
import { requireAbsolute } from "../files/path.js";

export interface MountArgs {
  path: string;
  /** What to mount (a device, `tmpfs`, a server:/export); required to mount. */
  device?: string;
  fstype?: string;
  /** Options as the kernel lists them in /proc/mounts (e.g. "ro", "noexec", "size=1024k"); missing ones are added by a remount. */
  options?: string[];
  /** false: nothing is mounted at path (default true). */
  mounted?: boolean;
}

function check(a: MountArgs): string {
  const path = requireAbsolute(a.path, "server.mount");
  for (const option of a.options ?? []) {
    if (typeof option !== "string" || option === "" || /[,\s]/.test(option)) throw new UsageError(`server.mount ${path}: each option must be one word without commas, got ${JSON.stringify(option)}`);
  }
  if (a.device !== undefined && (typeof a.device !== "string" || a.device === "")) throw new UsageError(`server.mount ${path}: device must be a non-empty string`);
  return path;
}

export const mount = defineOperation<MountArgs>({
  name: "server.mount",
  describe: (a) => (a.mounted === false ? `nothing mounted at ${a.path}` : `${a.device ?? "a filesystem"} mounted at ${a.path}${a.options?.length ? ` (${a.options.join(",")})` : ""}`),
  facts: (a) => [mounts, file(check(a))],
  async plan(host, a) {
    const path = check(a);
    const table = await host.fact(mounts);
    // Mounts stack: the last entry for a path is the one visible there.
    const current = table.filter((m) => m.mountpoint === path).at(-1);
    const invalidates = ["server.mounts", "files.*"];
    if (a.mounted === false) {
      if (!current) return null;
      return { description: `unmount ${current.device} from ${path}`, steps: [{ command: command("umount", path) }], invalidates };
    }
    const options = a.options ?? [];
    if (!current) {
      if (a.device === undefined) throw new UsageError(`server.mount ${path}: nothing is mounted there and no device was given`);
      const stat = await host.fact(file(path));
      if (stat && stat.type !== "directory") throw new Error(`server.mount: ${path} is a ${stat.type}, not a directory to mount on`);
      const mountCmd = command("mount", ...(a.fstype ? ["-t", a.fstype] : []), ...(options.length ? ["-o", options.join(",")] : []), "--", a.device, path);
      return {
        description: `mount ${a.device} at ${path}${a.fstype ? ` (${a.fstype})` : ""}${options.length ? ` with ${options.join(",")}` : ""}`,
        steps: [{ command: stat ? mountCmd : `${command("mkdir", "-p", "--", path)} && ${mountCmd}` }],
        invalidates,
      };
    }
    if (a.device !== undefined && current.device !== a.device) {
      throw new Error(`server.mount: ${path} has ${current.device} mounted, not ${a.device}: unmount it first (mounted: false)`);
    }
    if (a.fstype !== undefined && current.fstype !== a.fstype) throw new Error(`server.mount: ${path} is ${current.fstype}, not ${a.fstype}: unmount it first`);
    const missing = options.filter((o) => !current.options.includes(o));
    if (missing.length === 0) return null;
    return {
      description: `remount ${path} with ${missing.join(",")} (was ${current.options.join(",")})`,
      steps: [{ command: `mount -o ${quote(["remount", ...missing].join(","))} -- ${quote(path)}` }],
      invalidates,
    };
  },
});
