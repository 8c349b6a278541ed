// Mounts under a lab path, and removing a host's root tree without ever reaching through a mount into another filesystem.
import { lstat, readFile } from "node:fs/promises";
import { PineError } from "../errors.js";
import { runLocal, succeeds } from "./local-command.js";

/** Mount points from /proc/self/mountinfo text (field 5, with the kernel's octal escapes undone), in file order. */
export function parseMountPoints(mountinfo: string): string[] {
  return mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((field): field is string => field !== undefined && field !== "")
    .map((field) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
}

/** Mount points at `path` or below it, deepest first (the order they can be unmounted in). */
export function mountsUnder(mountPoints: readonly string[], path: string): string[] {
  const prefix = path.endsWith("/") ? path : `${path}/`;
  const inside = mountPoints.filter((point) => point === path || point.startsWith(prefix));
  return [...new Set(inside)].sort((a, b) => b.split("/").length - a.split("/").length || b.length - a.length);
}

/** What this process's mount namespace has mounted at or below `path`. */
export async function listMountsUnder(path: string): Promise<string[]> {
  return mountsUnder(parseMountPoints(await readFile("/proc/self/mountinfo", "utf8")), path);
}

/**
 * Unmounts everything at or below `path` in this namespace (lazily when a plain unmount is refused) and
 * fails if anything is still mounted, so a caller never deletes through a mount.
 */
export async function unmountUnder(path: string): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const mounted = await listMountsUnder(path);
    if (mounted.length === 0) return;
    for (const point of mounted) {
      if (!(await succeeds("umount", [point], { timeoutMs: 10_000 }))) await succeeds("umount", ["-l", point], { timeoutMs: 10_000 });
    }
  }
  const left = await listMountsUnder(path);
  if (left.length > 0) {
    throw new PineError(`still mounted under ${path}: ${left.join(", ")}`, {
      step: `unmount ${path}`,
      hint: `unmount them by hand (umount -l), then run \`pine lab down\` again`,
    });
  }
}

/**
 * Deletes a tree that may be big (a Debian root is ~270 MB): nothing may be mounted in it, and rm is told to
 * stay on one filesystem besides, so even a mount that appeared since the check is never descended into.
 */
export async function removeTree(path: string): Promise<void> {
  if (!(await exists(path))) return;
  await unmountUnder(path);
  // A host that pine installed or upgraded holds OSTree deployments, which `ostree admin deploy` marks
  // immutable (chattr +i): rm cannot delete them until the flag is cleared.
  await runLocal(
    "sh",
    ["-c", 'for d in "$1"/ostree/deploy/*/deploy/* "$1"/.pine-old/ostree/deploy/*/deploy/*; do [ -d "$d" ] && chattr -i "$d" 2>/dev/null; done; true', "pine-lab", path],
    { step: `clear immutable flags under ${path}`, timeoutMs: 30_000 },
  );
  await runLocal("rm", ["-rf", "--one-file-system", "--", path], { step: `remove ${path}`, timeoutMs: 120_000 });
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
