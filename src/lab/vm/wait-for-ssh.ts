// Waits, bounded, until a VM's sshd answers with exactly the host key the controller gave it.
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { PineError } from "../../errors.js";
import { parsePublicKey } from "../keys.js";
import { runLocal } from "../local-command.js";

/** TCG boots take 20-75 s here, more when the machine is busy (two test files booting VMs at once). */
export const DEFAULT_SSH_WAIT_MS = 240_000;
/** Each attempt: a guest still booting drops or ignores the connection; three seconds tell either apart. */
const ATTEMPT_TIMEOUT_SECONDS = 3;
const PAUSE_MS = 1_000;

export interface SshWaitOptions {
  /** Whether the VM can still come up (its supervisor runs): when not, waiting longer is pointless. */
  alive?: () => Promise<boolean>;
  /** The VM's console log: its end goes into the error, where a failed boot says why. */
  console?: string;
}

/**
 * Resolves with the time waited (ms) once `address`:22 presents `hostKey` (a public key line, `ssh-ed25519 AAAA...`).
 * Another key is not accepted: after pine flashes a disk, the old system answering would be the wrong host.
 */
export async function waitForSsh(address: string, hostKey: string, timeoutMs = DEFAULT_SSH_WAIT_MS, options: SshWaitOptions = {}): Promise<number> {
  const expected = parsePublicKey(hostKey);
  const started = Date.now();
  const deadline = started + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (options.alive && !(await options.alive())) {
      throw await failure(`the VM at ${address} went down while waiting for SSH (its supervisor is gone)`, options);
    }
    const presented = await scanHostKey(address, expected.type);
    if (presented === expected.blob) return Date.now() - started;
    if (presented !== undefined) last = `it presented another ${expected.type} host key: ${presented.slice(0, 24)}...`;
    await sleep(Math.min(PAUSE_MS, Math.max(0, deadline - Date.now())));
  }
  throw await failure(`${address} did not answer SSH with the expected host key within ${timeoutMs} ms (${last})`, options);
}

/** The key blob `address` presents for `type`, or undefined while nothing answers. */
async function scanHostKey(address: string, type: string): Promise<string | undefined> {
  try {
    const { stdout } = await runLocal("ssh-keyscan", ["-T", String(ATTEMPT_TIMEOUT_SECONDS), "-t", keyscanType(type), address], {
      step: `scan the SSH host key of ${address}`,
      timeoutMs: (ATTEMPT_TIMEOUT_SECONDS + 5) * 1_000,
    });
    const line = stdout.split("\n").find((candidate) => candidate.startsWith(`${address} ${type} `));
    return line?.split(/\s+/)[2];
  } catch {
    return undefined;
  }
}

/** ssh-keyscan names key types by algorithm family, not by their wire names. */
function keyscanType(type: string): string {
  if (type === "ssh-ed25519") return "ed25519";
  if (type === "ssh-rsa") return "rsa";
  if (type.startsWith("ecdsa-")) return "ecdsa";
  return type;
}

async function failure(message: string, options: SshWaitOptions): Promise<PineError> {
  const console = options.console ? await readFile(options.console, "utf8").catch(() => "") : "";
  return new PineError(message, {
    step: "wait for the VM's SSH",
    stderr: console.slice(-3_000),
    ...(options.console ? { hint: `the VM's console is in ${options.console}` } : {}),
  });
}
