// Processes the lab started, identified before they are signalled so a reused PID is never killed by mistake.
import { readdir, readFile, readlink, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** Running and not a zombie (an orphan whose parent never reaps it still has a /proc entry). */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    // The state follows the parenthesised command name, which may itself contain spaces or parentheses.
    const state = text.slice(text.lastIndexOf(")") + 2, text.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

export interface SshdIdentity {
  executable: string;
  /** The sshd_config path the process was started with. */
  config: string;
  /** The namespace it should live in, when that namespace still exists. */
  namespace?: string;
}

/** Whether `pid` is still the sshd the lab started: the right binary, and its config path or namespace matches. */
export async function isLabSshd(pid: number, identity: SshdIdentity): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 1 || !(await isRunning(pid))) return false;
  try {
    if ((await readlink(`/proc/${pid}/exe`)) !== identity.executable) return false;
    // sshd rewrites its title ("sshd: /usr/sbin/sshd -D -f CONFIG [listener] ..."), so search the whole text.
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8")).replace(/\0/g, " ");
    if (cmdline.includes(identity.config)) return true;
    return identity.namespace !== undefined && (await inNamespace(pid, identity.namespace));
  } catch {
    return false;
  }
}

export interface LabProcessIdentity {
  /** Binaries the process may be running (/proc/PID/exe). */
  executables: readonly string[];
  /** A path only this host's process has on its command line (its root, its script). */
  marker: string;
}

/** Whether `pid` is still a process the lab started for one host: the right binary, its marker in the command line. */
export async function isLabProcess(pid: number | undefined, identity: LabProcessIdentity): Promise<boolean> {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1 || !(await isRunning(pid))) return false;
  try {
    if (!identity.executables.includes(await readlink(`/proc/${pid}/exe`))) return false;
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").includes(identity.marker);
  } catch {
    return false;
  }
}

/**
 * Every process that matches `identity`: the candidates (recorded PIDs) and any other process on the machine,
 * so one whose PID file was lost in a crash is found too.
 */
export async function findLabProcesses(identity: LabProcessIdentity, candidates: ReadonlyArray<number | undefined> = []): Promise<number[]> {
  const all = new Set<number>(candidates.filter((pid): pid is number => pid !== undefined));
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (/^[0-9]+$/.test(entry)) all.add(Number(entry));
  }
  const matching: number[] = [];
  for (const pid of all) if (await isLabProcess(pid, identity)) matching.push(pid);
  return matching;
}

/** The PID a file holds, if it holds one. */
export async function readPidFile(path: string): Promise<number | undefined> {
  const text = await readFile(path, "utf8").catch(() => "");
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

async function inNamespace(pid: number, namespace: string): Promise<boolean> {
  try {
    const [own, named] = await Promise.all([stat(`/proc/${pid}/ns/net`), stat(`/run/netns/${namespace}`)]);
    return own.ino === named.ino && own.dev === named.dev;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it is gone (bounded). */
export async function terminate(pid: number, graceMs = 2_000): Promise<void> {
  if (!signal(pid, "SIGTERM")) return;
  if (await waitUntilGone(pid, graceMs)) return;
  signal(pid, "SIGKILL");
  await waitUntilGone(pid, 2_000);
}

export function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

export async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isRunning(pid))) return true;
    await sleep(20);
  }
  return !(await isRunning(pid));
}
