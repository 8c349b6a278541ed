// What lab tests look at from outside: the real ssh client against a host, and every trace a lab could leave behind.
import { execFile } from "node:child_process";
import { access, readdir, readFile, readlink } from "node:fs/promises";
import { promisify } from "node:util";
import type { LabHostState, LabState } from "../../src/lab/index.js";

const run = promisify(execFile);

export function ssh(state: LabState, host: LabHostState, command: string, timeoutMs = 15_000): Promise<string> {
  const args = [
    "-F", "/dev/null",
    "-i", state.key,
    "-o", `UserKnownHostsFile=${state.knownHosts}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "StrictHostKeyChecking=yes",
    "-o", "BatchMode=yes",
    "-o", "ConnectTimeout=3",
    `root@${host.address}`,
    command,
  ];
  return run("ssh", args, { timeout: timeoutMs }).then(({ stdout }) => stdout.trim());
}

/** Asks until `accept` likes the answer (connection refused while a host reboots is expected), bounded. */
export async function sshUntil(
  state: LabState,
  host: LabHostState,
  command: string,
  accept: (answer: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    try {
      const answer = await ssh(state, host, command, 5_000);
      if (accept(answer)) return answer;
      last = `answered ${JSON.stringify(answer)}`;
    } catch (error) {
      last = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${host.name} did not answer ${JSON.stringify(command)} as expected within ${timeoutMs} ms: ${last}`);
}

export interface LabTraces {
  namespaces: string[];
  links: string[];
  /** Of the given PIDs, those still running. */
  running: number[];
  /** Any process whose command line names the lab dir (supervisor, nspawn, unshare, sshd config). */
  processesNamingDir: string[];
  mountsUnderDir: string[];
  cgroups: string[];
  hostRoots: string[];
}

export async function labTraces(name: string, dir: string, pids: readonly number[]): Promise<LabTraces> {
  const namespaces = (await run("ip", ["netns", "list"])).stdout
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((namespace) => namespace.startsWith(`pine-${name}-`));
  const links = (await run("ip", ["-o", "link", "show"])).stdout
    .split("\n")
    .map((line) => line.split(":")[1]?.trim().split("@")[0] ?? "")
    .filter((link) => link === `pb-${name}` || link.startsWith(`pv-${name}-`));
  const running: number[] = [];
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (status && !/\) [ZX] /.test(status)) running.push(pid);
  }
  const processesNamingDir: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ");
    if (cmdline.includes(`${dir}/`)) processesNamingDir.push(`${entry}: ${cmdline.slice(0, 120)}`);
  }
  const mountsUnderDir = (await readFile("/proc/self/mountinfo", "utf8"))
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((point) => point.startsWith(`${dir}/`) || point === dir);
  const cgroups: string[] = [];
  for (const base of ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"]) {
    for (const namespace of [1, 2, 3, 4].map((index) => `${base}/pine-lab/pine-${name}-${index}`)) {
      if (await access(namespace).then(() => true, () => false)) cgroups.push(namespace);
    }
  }
  const hostDirs = await readdir(`${dir}/hosts`).catch(() => [] as string[]);
  const hostRoots: string[] = [];
  for (const host of hostDirs) {
    if (await access(`${dir}/hosts/${host}/root`).then(() => true, () => false)) hostRoots.push(host);
  }
  return { namespaces, links, running, processesNamingDir, mountsUnderDir, cgroups, hostRoots };
}

export const NO_TRACES: LabTraces = {
  namespaces: [],
  links: [],
  running: [],
  processesNamingDir: [],
  mountsUnderDir: [],
  cgroups: [],
  hostRoots: [],
};

/** The machine's own PID namespace, to prove a host about to reboot lives in another one. */
export function ownPidNamespace(): Promise<string> {
  return readlink("/proc/self/ns/pid");
}
