// Count the exec channels (round trips) each lab host serves during one command, from outside pine:
// strace follows every host's sshd; each channel that runs a command is an sshd process exec'ing
// something other than sshd (the login shell with -c). Per connection sshd re-execs itself; that is not counted.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

export interface ChannelCount {
  /** Exec channels per host name. */
  perHost: Map<string, number>;
  /** Programs exec'd on each host during the run (login shells, fact and step commands; not sshd itself). */
  execsPerHost: Map<string, number>;
}

/** Trace `sshdPids` (name -> pid) while `run` runs; returns the exec channels each served. */
export async function countExecChannels(sshdPids: Map<string, number>, traceFile: string, run: () => Promise<unknown>): Promise<ChannelCount> {
  const args = ["-f", "-qq", "-o", traceFile, "-e", "trace=execve,fork,vfork,clone,clone3"];
  for (const pid of sshdPids.values()) args.push("-p", String(pid));
  const strace = spawn("strace", args, { stdio: ["ignore", "ignore", "pipe"] });
  let straceErr = "";
  strace.stderr.on("data", (chunk: Buffer) => (straceErr += chunk.toString()));
  const exited = new Promise<void>((resolve) => strace.on("close", () => resolve()));
  try {
    await waitTraced([...sshdPids.values()], 10_000, () => straceErr);
    await run();
  } finally {
    strace.kill("SIGINT");
    await Promise.race([exited, sleep(5_000).then(() => strace.kill("SIGKILL"))]);
  }
  const text = await readFile(traceFile, "utf8");
  return { perHost: parseTrace(text, sshdPids), execsPerHost: parseTrace(text, sshdPids, "all") };
}

/** Bounded wait until every pid shows a tracer in /proc/PID/status. */
async function waitTraced(pids: number[], timeoutMs: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const statuses = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/status`, "utf8").catch(() => "")));
    if (statuses.every((status) => /^TracerPid:\s*[1-9]/m.test(status))) return;
    await sleep(50);
  }
  throw new Error(`strace did not attach to every sshd within ${timeoutMs} ms: ${stderr().trim() || "no message"}`);
}

type TraceEvent = { kind: "fork"; child: number } | { kind: "exec"; path: string };

/**
 * strace -f lines: `PID  clone(...) = CHILD`, `PID  <... clone resumed> ...) = CHILD`, `PID  execve("/path", ...) = 0`.
 * A child's first lines can come before its parent's clone returns, so events are grouped per process first
 * (each process's own lines are in order), then replayed down the process tree from the sshd listeners.
 */
export function parseTrace(text: string, sshdPids: Map<string, number>, count: "channels" | "all" = "channels"): Map<string, number> {
  const events = new Map<number, TraceEvent[]>();
  for (const line of text.split("\n")) {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const rest = m[2]!;
    const list = events.get(pid) ?? [];
    events.set(pid, list);
    const fork = /^(?:<\.\.\. )?(?:clone3?|v?fork)\b.*= (\d+)$/.exec(rest);
    if (fork) list.push({ kind: "fork", child: Number(fork[1]) });
    const exec = /^execve\("([^"]*)"/.exec(rest);
    if (exec && !/= -1 /.test(rest)) list.push({ kind: "exec", path: exec[1]! });
  }
  const perHost = new Map<string, number>();
  for (const [name, pid] of sshdPids) {
    let channels = 0;
    const stack: Array<[number, boolean]> = [[pid, true]];
    while (stack.length) {
      const [current, startsAsSshd] = stack.pop()!;
      let isSshd = startsAsSshd;
      for (const event of events.get(current) ?? []) {
        if (event.kind === "fork") {
          stack.push([event.child, isSshd]);
          continue;
        }
        const execsSshd = /\/sshd$/.test(event.path);
        if (count === "all" ? !execsSshd : isSshd && !execsSshd) channels++;
        isSshd = execsSshd;
      }
    }
    perHost.set(name, channels);
  }
  return perHost;
}
