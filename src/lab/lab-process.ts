// Processes the lab started, identified before they are signalled so a reused PID is never killed by mistake.
import { readFile, readlink, stat } from "node:fs/promises";
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

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isRunning(pid))) return true;
    await sleep(20);
  }
  return !(await isRunning(pid));
}
