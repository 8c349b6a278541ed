// Run one child process under GNU time: wall time (measured here), CPU time and peak RSS (from time -f), bounded by a timeout.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const GNU_TIME = "/usr/bin/time";

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  wallMs: number;
  /** User + system CPU seconds of the child and its waited-for children. */
  cpuS: number;
  /** Peak resident set size in MB (GNU time's %M is KiB). */
  rssMb: number;
  stdout: string;
  stderr: string;
}

/** The child currently running, so a signal handler can stop it before tearing the lab down. */
let current: ReturnType<typeof spawn> | undefined;
let stopped = false;

/** Kill the running child and refuse to start more (used on SIGINT/SIGTERM while the lab is torn down). */
export function killCurrentChild(): void {
  stopped = true;
  current?.kill("SIGKILL");
}

export async function runTimed(argv: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<ChildRun> {
  if (stopped) throw new Error("the benchmark is stopping");
  const dir = await mkdtemp(join(tmpdir(), "pine-bench-time-"));
  const report = join(dir, "time.txt");
  try {
    const child = spawn(GNU_TIME, ["-o", report, "-f", "%U %S %M", ...argv], { stdio: ["ignore", "pipe", "pipe"], env });
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
    }, timeoutMs);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c, s) => resolve([c, s]));
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    clearTimeout(timer);
    current = undefined;
    const [user, system, rssKb] = (await readFile(report, "utf8").catch(() => ""))
      .trim()
      .split("\n")
      .at(-1)!
      .split(" ")
      .map(Number);
    return {
      code,
      signal,
      timedOut,
      wallMs,
      cpuS: (user ?? Number.NaN) + (system ?? Number.NaN),
      rssMb: (rssKb ?? Number.NaN) / 1024,
      stdout: Buffer.concat(out).toString("utf8"),
      stderr: Buffer.concat(err).toString("utf8"),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
