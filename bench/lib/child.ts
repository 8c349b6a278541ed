// Run one controller program (pine, the floor, ansible) as a measured child process:
// - wall time, measured here;
// - CPU time of everything the program started, read from its own cgroup (cgroup v1 cpuacct or cgroup v2):
//   Ansible's ControlPersist ssh masters daemonize, so GNU time (which sees waited-for children only) misses them;
// - peak RSS of the largest single process (GNU time %M) and the cgroup's peak memory (all its processes);
// - bounded by a timeout; whatever is left in the cgroup afterwards (ssh masters) is killed by PID, so every run
//   starts cold and leaves nothing behind.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const GNU_TIME = "/usr/bin/time";

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  wallMs: number;
  /** User + system CPU seconds of every process the run started (cgroup), or of waited-for ones (GNU time). */
  cpuS: number;
  /** Where cpuS comes from. */
  cpuSource: "cgroup" | "time";
  /** Peak resident set size of the largest single process, MB (GNU time's %M is KiB). */
  rssMb: number;
  /** Peak memory of all the run's processes together (cgroup), MB; NaN without a memory cgroup. */
  groupMemMb: number;
  stdout: string;
  stderr: string;
}

/** The child currently running, so a signal handler can stop it before tearing the lab down. */
let current: ReturnType<typeof spawn> | undefined;
let currentGroup: Cgroup | undefined;
let stopped = false;

/** Kill the running child (and its cgroup) and refuse to start more (used on SIGINT/SIGTERM). */
export async function killCurrentChild(): Promise<void> {
  stopped = true;
  current?.kill("SIGKILL");
  await currentGroup?.killAll().catch(() => undefined);
}

interface Cgroup {
  /** Shell prefix that moves the shell into the group(s) before it execs the program. */
  enter: string;
  cpuNs(): Promise<number>;
  memPeakBytes(): Promise<number>;
  killAll(): Promise<void>;
  remove(): Promise<void>;
}

const V1_CPU = "/sys/fs/cgroup/cpuacct";
const V1_MEM = "/sys/fs/cgroup/memory";
const V2 = "/sys/fs/cgroup";
let sequence = 0;

/** A fresh cgroup for one run: v1 cpuacct (+ memory) when mounted, else v2 when it is the unified root, else none. */
async function createCgroup(): Promise<Cgroup | undefined> {
  const name = `pine-bench-${process.pid}-${++sequence}`;
  const v1 = existsSync(join(V1_CPU, "cpuacct.usage"));
  const v2 = !v1 && existsSync(join(V2, "cgroup.controllers"));
  const dirs = v1 ? [join(V1_CPU, name), ...(existsSync(join(V1_MEM, "memory.max_usage_in_bytes")) ? [join(V1_MEM, name)] : [])] : v2 ? [join(V2, name)] : [];
  if (dirs.length === 0) return undefined;
  try {
    for (const dir of dirs) await mkdir(dir);
  } catch {
    return undefined;
  }
  const memDir = v1 ? dirs[1] : dirs[0];
  const pids = async (): Promise<number[]> => {
    const lists = await Promise.all(dirs.map((dir) => readFile(join(dir, "cgroup.procs"), "utf8").catch(() => "")));
    return [...new Set(lists.join("\n").split("\n").filter(Boolean).map(Number))];
  };
  return {
    enter: dirs.map((dir) => `echo $$ > ${dir}/cgroup.procs`).join(" && "),
    async cpuNs() {
      if (v1) return Number(await readFile(join(dirs[0]!, "cpuacct.usage"), "utf8"));
      const stat = await readFile(join(dirs[0]!, "cpu.stat"), "utf8");
      return Number(/usage_usec (\d+)/.exec(stat)?.[1] ?? Number.NaN) * 1000;
    },
    async memPeakBytes() {
      if (!memDir) return Number.NaN;
      const file = v1 ? "memory.max_usage_in_bytes" : "memory.peak";
      return Number(await readFile(join(memDir, file), "utf8").catch(() => "NaN"));
    },
    async killAll() {
      for (let attempt = 0; attempt < 50; attempt++) {
        const left = await pids();
        if (left.length === 0) return;
        for (const pid of left) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // gone already
          }
        }
        await sleep(20);
      }
    },
    async remove() {
      for (const dir of dirs) await rmdir(dir).catch(() => undefined);
    },
  };
}

export async function runTimed(argv: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<ChildRun> {
  if (stopped) throw new Error("the benchmark is stopping");
  const dir = await mkdtemp(join(tmpdir(), "pine-bench-time-"));
  const report = join(dir, "time.txt");
  const group = await createCgroup();
  currentGroup = group;
  try {
    const timed = [GNU_TIME, "-o", report, "-f", "%U %S %M", ...argv];
    const [file, args] = group ? ["/bin/sh", ["-c", `${group.enter} && exec "$@"`, "sh", ...timed]] : [timed[0]!, timed.slice(1)];
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], env, cwd });
    current = child;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    const started = process.hrtime.bigint();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
      void group?.killAll();
    }, timeoutMs);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c, s) => resolve([c, s]));
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    clearTimeout(timer);
    current = undefined;
    // Leftovers (Ansible's ssh masters) are part of the run: their CPU counts, then they go.
    await group?.killAll();
    const cpuNs = group ? await group.cpuNs().catch(() => Number.NaN) : Number.NaN;
    const memBytes = group ? await group.memPeakBytes() : Number.NaN;
    const [user, system, rssKb] = (await readFile(report, "utf8").catch(() => ""))
      .trim()
      .split("\n")
      .at(-1)!
      .split(" ")
      .map(Number);
    const timeCpu = (user ?? Number.NaN) + (system ?? Number.NaN);
    return {
      code,
      signal,
      timedOut,
      wallMs,
      cpuS: Number.isFinite(cpuNs) ? cpuNs / 1e9 : timeCpu,
      cpuSource: Number.isFinite(cpuNs) ? "cgroup" : "time",
      rssMb: (rssKb ?? Number.NaN) / 1024,
      groupMemMb: memBytes / 2 ** 20,
      stdout: Buffer.concat(out).toString("utf8"),
      stderr: Buffer.concat(err).toString("utf8"),
    };
  } finally {
    currentGroup = undefined;
    await group?.remove();
    await rm(dir, { recursive: true, force: true });
  }
}
