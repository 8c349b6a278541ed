// What the upgrade end-to-end tests share: Debian lab containers turned into pine v1 hosts by the install CLI, an
// inventory and release index for them, the real ssh client, and the pine CLI run with --json events stamped in
// the order they arrive (so a test can replay who was down when, across several controllers).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { ensureTestImages, type Manifest } from "../../images/index.js";
import type { RunEvent } from "../../src/events.js";
import { PINE_BIN, runPine } from "../support/cli.js";
import { useLab, type LabFixture } from "../support/lab.js";

export interface PineHosts {
  lab: LabFixture;
  /** Available once beforeAll ran. */
  readonly manifest: Manifest;
  /** A scratch directory: the CLI's working directory (its .pine/last-failed.txt), inventories, the index. */
  work: string;
  /** The real ssh client, strict host keys (the key install generated is in the lab's known_hosts). */
  ssh(host: string, command: string): string;
  /** An inventory of the lab's hosts with this data for every host; returns its path. */
  inventory(file: string, data: Record<string, unknown>): string;
  /** A release index: v1, and v2 with the v1 → v2 delta as a file beside nothing (absolute path) or a URL. */
  releaseIndex(file: string, delta?: { url: string }): string;
}

/** `hosts` Debian lab containers, installed with pine v1 by `pine deploy ... install` once for the whole file. */
export function usePineHosts(name: string, hosts: number): PineHosts {
  const lab = useLab({ name, hosts, kind: "debian" });
  const work = mkdtempSync(join(tmpdir(), `pine-upgrade-${name}-`));
  let manifest: Manifest | undefined;
  beforeAll(async () => {
    manifest = await ensureTestImages("all");
    const rootfs = manifest.artifacts["rootfs.pine_ovz.tar.gz"]!;
    const started = Date.now();
    const r = await runPine(
      ["deploy", lab.inventory, "install", "--yes", "--data", `image.file=${rootfs.path}`, "--data", `image.sha256=${rootfs.sha256}`, "--data", "install.mode=container"],
      { cwd: work, timeoutMs: 600_000 },
    );
    if (r.code !== 0) throw new Error(`install of the ${name} lab failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    console.log(`${name}: ${hosts} pine v1 hosts installed in ${Date.now() - started} ms`);
  }, 900_000);
  // Registered after useLab's afterAll, so it runs first: `ostree admin deploy` marks each deployment directory
  // immutable (chattr +i), and the lab's teardown cannot remove a host root holding one.
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    for (const host of lab.state.hosts) releaseImmutable(host.root);
  });

  const address = (host: string) => {
    const found = lab.state.hosts.find((h) => h.name === host);
    if (!found) throw new Error(`no host ${host} in lab ${name}`);
    return found.address;
  };
  return {
    lab,
    work,
    get manifest(): Manifest {
      if (!manifest) throw new Error("the test images are not ready (beforeAll failed)");
      return manifest;
    },
    ssh: (host, command) =>
      execFileSync(
        "ssh",
        ["-i", lab.state.key, "-o", `UserKnownHostsFile=${lab.state.knownHosts}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", `root@${address(host)}`, command],
        { encoding: "utf8", timeout: 30_000 },
      ),
    inventory(file, data) {
      const s = lab.state;
      const hostLines = s.hosts.map((h) => `  ${h.name}: { address: ${h.address} }`);
      const text = [
        "defaults:",
        "  user: root",
        `  key: ${s.key}`,
        `  knownHosts: ${s.knownHosts}`,
        "  hostKeyCheck: strict",
        `  data: ${JSON.stringify(data)}`,
        "hosts:",
        ...hostLines,
      ].join("\n");
      const path = join(work, file);
      writeFileSync(path, `${text}\n`);
      return path;
    },
    releaseIndex(file, delta) {
      const m = manifest!;
      const d = m.artifacts["delta.tar"]!;
      const index = {
        latest: "v2",
        releases: {
          v1: { commit: m.commits.v1 },
          v2: { commit: m.commits.v2, deltas: [{ from: m.commits.v1, ...(delta ? { url: delta.url } : { file: d.path }), sha256: d.sha256, size: d.size }] },
        },
      };
      const path = join(work, file);
      writeFileSync(path, JSON.stringify(index, null, 2));
      return path;
    },
  };
}

function releaseImmutable(root: string | undefined): void {
  if (!root) return;
  const deployments: string[] = [];
  const stateroots = join(root, "ostree/deploy");
  for (const os of existsSync(stateroots) ? readdirSync(stateroots) : []) {
    const dir = join(stateroots, os, "deploy");
    for (const entry of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) if (entry.isDirectory()) deployments.push(join(dir, entry.name));
  }
  if (deployments.length > 0) execFileSync("chattr", ["-i", ...deployments], { timeout: 30_000 });
}

/** What `ostree admin status` and /etc/pine say on a host. */
export function systemOf(hosts: PineHosts, host: string): { version: string; booted: string; deployments: string[] } {
  const out = hosts.ssh(host, "sed -n 's/^PINE_VERSION=//p' /etc/pine; echo ---; ostree admin status");
  const [version, status] = out.split("---\n") as [string, string];
  const deployments = [...status.matchAll(/^([* ]) pine ([0-9a-f]{64})\.\d+/gm)];
  return { version: version.trim(), booted: deployments.find((d) => d[1] === "*")?.[2] ?? "", deployments: deployments.map((d) => d[2]!) };
}

export interface TimedEvent {
  /** Arrival order across every CLI run of the test file (one counter for all controllers). */
  seq: number;
  at: number;
  controller: string;
  event: RunEvent;
}

export interface PineRun {
  pid: number;
  events: TimedEvent[];
  /** Resolves when the process exits. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

let seq = 0;
const running = new Set<ChildProcess>();

/** Kill, by PID, any CLI a test left running (a failed assertion must not leave a controller rebooting hosts). */
export function stopLeftoverControllers(): void {
  afterEach(() => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    running.clear();
  });
}

/** Start the pine CLI with --json; events are parsed as they arrive. Killed after timeoutMs. */
export function startPine(controller: string, args: string[], options: { cwd: string; timeoutMs: number; onEvent?: (e: TimedEvent) => void }): PineRun {
  const child = spawn(process.execPath, [PINE_BIN, ...args, "--json"], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", CI: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const events: TimedEvent[] = [];
  let stdout = "";
  let stderr = "";
  let pending = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      const timed = { seq: seq++, at: Date.now(), controller, event: JSON.parse(line) as RunEvent };
      events.push(timed);
      options.onEvent?.(timed);
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { pid: child.pid!, events, done, kill: (signal) => child.kill(signal) };
}

/** The upgrade's host state from a progress message ("rebooting: into v2 ..."), if it names one. */
export function stateOf(event: RunEvent): string | undefined {
  if (event.type !== "host:progress") return undefined;
  return /^(waiting|locked|applying|rebooting|checking|done|rolled back|failed)\b/.exec(event.message)?.[1];
}

/**
 * Replay events in arrival order: a host is down from its first "rebooting" until "done", "rolled back" or
 * "failed". Returns the most hosts down at once and who they were.
 */
export function mostDown(events: readonly TimedEvent[]): { most: number; when: string[] } {
  const down = new Set<string>();
  let most = 0;
  let when: string[] = [];
  for (const { event } of [...events].sort((a, b) => a.seq - b.seq)) {
    const state = stateOf(event);
    if (!state || event.type !== "host:progress") continue;
    if (state === "rebooting") down.add(event.host);
    else if (state === "done" || state === "rolled back" || state === "failed") down.delete(event.host);
    if (down.size > most) {
      most = down.size;
      when = [...down];
    }
  }
  return { most, when };
}

/** Progress messages of one host, in order. */
export function progressOf(events: readonly TimedEvent[], host: string): string[] {
  return events.flatMap(({ event }) => (event.type === "host:progress" && event.host === host ? [event.message] : []));
}

export function readFailedList(work: string): string[] {
  try {
    return readFileSync(join(work, ".pine/last-failed.txt"), "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}
