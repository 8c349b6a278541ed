// Fault injection for the fault suite: kill a lab host's sshd by PID, cut its link, write deploy files, run pine
// as a child we can signal, and look for secrets in every process's argv. Every wait here is bounded.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { SshConnector } from "../../src/connectors/ssh/index.js";
import type { LabHostState, LabState } from "../../src/lab/index.js";
import { PINE_BIN, REPO_ROOT } from "../support/cli.js";

const run = promisify(execFile);

/** What a deploy file written by a test imports: the built API, the same module instance the CLI runs. */
export const PINE_API = pathToFileURL(join(REPO_ROOT, "dist/src/index.js")).href;

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `pine-faults-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A deploy file in `dir` whose body may use `api` (the pine module) and `host`. */
export function writeDeploy(dir: string, name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source.replaceAll("PINE_API", PINE_API));
  return path;
}

export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, ms: number, what: string, everyMs = 20): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Child PIDs of `pid` (all threads), recursively. */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const task of tasks) {
    let text = "";
    try {
      text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8");
    } catch {
      continue;
    }
    for (const child of text.trim().split(/\s+/).filter(Boolean).map(Number)) found.push(child, ...descendants(child));
  }
  return found;
}

export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

export function killQuietly(pid: number, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** The host's sshd dies: the listener (PID from the lab state) and its per-connection sshd processes, not the commands they run. */
export function killSshd(host: LabHostState): number {
  const sshds = [host.sshdPid, ...descendants(host.sshdPid).filter((pid) => processName(pid) === "sshd")];
  for (const pid of sshds) killQuietly(pid);
  return sshds.length;
}

/** The host's cable is pulled (eth0 down inside its namespace) or plugged back. */
export async function setLink(host: LabHostState, state: "up" | "down"): Promise<void> {
  await run("ip", ["-n", host.namespace, "link", "set", "eth0", state], { timeout: 10_000 });
}

/** Files pine's atomic writers leave behind when they fail to clean up (`.pine.XXXXXXXX`). */
export function pineTemps(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith(".pine."));
}

export interface PineChild {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Exit code (or 128+signal) once it exits; rejects after `ms`, killing the child. */
  exit(ms: number): Promise<number>;
}

/** bin/pine.js as a child process we can signal; stdin is /dev/null (no terminal: nothing is asked). */
export function startPine(args: string[], env: NodeJS.ProcessEnv = {}): PineChild {
  const child = spawn(process.execPath, [PINE_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", CI: "1", PINE_PLAIN: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const closed = new Promise<number>((resolve) => child.on("close", (code, signal) => resolve(code ?? 128 + (signal === "SIGKILL" ? 9 : 15))));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit: (ms) =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          killQuietly(child.pid!);
          reject(new Error(`pine ${args.join(" ")} still running after ${ms} ms\nstdout: ${out}\nstderr: ${err}`));
        }, ms);
        void closed.then((code) => {
          clearTimeout(timer);
          resolve(code);
        });
      }),
  };
}

/** JSON event lines of `pine ... --json`. */
export function jsonEvents(stdout: string): Array<Record<string, unknown> & { type: string }> {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown> & { type: string });
}

/** PIDs whose argv contains `needle`, on this machine (lab hosts share it: controller and host side at once). */
export function argvHolding(needle: string): number[] {
  const hits: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`).includes(needle)) hits.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return hits;
}

/** Scan every process's argv every few ms until stopped; resolves with the PIDs that ever held the needle. */
export function watchArgv(needle: string, everyMs = 10): { stop(): number[]; scans(): number } {
  const seen = new Set<number>();
  let scans = 0;
  const timer = setInterval(() => {
    scans++;
    for (const pid of argvHolding(needle)) seen.add(pid);
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      for (const pid of argvHolding(needle)) seen.add(pid);
      return [...seen];
    },
    scans: () => scans,
  };
}

/** A connector to a lab host that notices a dead peer fast (keepalives every 300 ms, 3 missed) and never retries. */
export function fastFailConnector(lab: LabState, host: { address: string; name: string }): SshConnector {
  return new SshConnector({
    host: host.address,
    name: host.name,
    user: "root",
    key: lab.key,
    knownHostsPath: lab.knownHosts,
    agent: false,
    sshConfigPath: false,
    keepaliveInterval: 300,
    keepaliveCountMax: 3,
    readyTimeout: 2_000,
    retry: { attempts: 1 },
  });
}
