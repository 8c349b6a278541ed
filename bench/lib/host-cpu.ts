// The lab hosts' CPU, measured exactly: every lab sshd (and so every process a command starts on a host) goes into one
// cgroup whose CPU usage is read before and after, so other work on the machine does not count. cgroup v1's cpuacct
// where it is mounted (the development machine), else the cgroup2 hierarchy's cpu.stat.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";

export interface HostCpuGroup {
  /** Put these processes (the lab's sshds) in the group; their children follow. */
  add(pids: readonly (number | undefined)[]): void;
  /** CPU used by the group so far, in milliseconds. */
  usageMs(): number;
  /** Remove the group, once the last process in it has exited (waits up to 5 s). */
  remove(): Promise<void>;
}

export function hostCpuGroup(name: string): HostCpuGroup {
  const v1 = existsSync("/sys/fs/cgroup/cpuacct/cpuacct.usage");
  const v2Root = readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" ")).find((f) => f[2] === "cgroup2")?.[1];
  if (!v1 && !v2Root) throw new Error("no cpuacct (cgroup v1) nor cgroup2 hierarchy mounted: cannot measure the hosts' CPU");
  const dir = v1 ? join("/sys/fs/cgroup/cpuacct", name) : join(v2Root!, name);
  mkdirSync(dir, { recursive: true });
  return {
    add(pids) {
      for (const pid of pids) if (pid) writeFileSync(join(dir, "cgroup.procs"), String(pid));
    },
    usageMs() {
      if (v1) return Number(readFileSync(join(dir, "cpuacct.usage"), "utf8")) / 1e6;
      return Number(/usage_usec (\d+)/.exec(readFileSync(join(dir, "cpu.stat"), "utf8"))![1]) / 1e3;
    },
    async remove() {
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(dir);
          return;
        } catch {
          await sleep(100);
        }
      }
    },
  };
}
