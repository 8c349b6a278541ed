// Each debian host's own cgroup, so systemd-nspawn never puts two containers (or another tool's) in one shared cgroup.
//
// Started from the machine's root cgroup, `systemd-nspawn --keep-unit` creates `payload` and `supervisor`
// right there, so every container started that way shares `/payload`: one container's systemd then
// manages (and, stopping a unit, kills) another's processes, and a stop waits on processes it cannot
// reach. The supervisor moves itself into pine-lab/<namespace> in each hierarchy systemd uses first.
import { readdir, readFile, rmdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { signal } from "./lab-process.js";

const GROUP = "pine-lab";

/** Mount points of the hierarchies systemd (and so nspawn) uses: every cgroup2 mount and the v1 name=systemd one. */
export function systemdHierarchies(mounts: string): string[] {
  return mounts.split("\n").flatMap((line) => {
    const [, point, type, options] = line.split(" ");
    if (!point) return [];
    if (type === "cgroup2") return [point];
    if (type === "cgroup" && (options ?? "").split(",").includes("name=systemd")) return [point];
    return [];
  });
}

/** The host's cgroup directory in each hierarchy (existing or not). */
export async function hostCgroups(namespace: string): Promise<string[]> {
  const mounts = await readFile("/proc/self/mounts", "utf8");
  return systemdHierarchies(mounts).map((point) => join(point, GROUP, namespace));
}

/** Kills whatever is left in the host's cgroups, waits (bounded) until they are empty, and removes them. */
export async function removeHostCgroups(namespace: string, timeoutMs = 5_000): Promise<void> {
  const dirs = (await hostCgroups(namespace)).filter(Boolean);
  const present = (await Promise.all(dirs.map(async (dir) => ((await isDir(dir)) ? dir : undefined)))).filter(
    (dir): dir is string => dir !== undefined,
  );
  if (present.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = (await Promise.all(present.map(pidsIn))).flat();
    if (pids.length === 0 || Date.now() > deadline) break;
    // cgroup.kill (cgroup v2, Linux 5.14+) takes a whole subtree at once, forks included.
    for (const dir of present) await writeFile(join(dir, "cgroup.kill"), "1").catch(() => undefined);
    for (const pid of pids) signal(pid, "SIGKILL");
    await sleep(50);
  }
  for (const dir of present) await removeDepthFirst(dir);
  // The shared parent goes when the last host's cgroup went; another lab's may still be in it.
  for (const dir of present) await rmdir(join(dir, "..")).catch(() => undefined);
}

async function pidsIn(dir: string): Promise<number[]> {
  const own = await readFile(join(dir, "cgroup.procs"), "utf8").catch(() => "");
  const pids = own.split("\n").filter(Boolean).map(Number);
  for (const child of await subdirs(dir)) pids.push(...(await pidsIn(join(dir, child))));
  return pids;
}

async function removeDepthFirst(dir: string): Promise<void> {
  for (const child of await subdirs(dir)) await removeDepthFirst(join(dir, child));
  await rmdir(dir).catch(() => undefined);
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then((info) => info.isDirectory(), () => false);
}
