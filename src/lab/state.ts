// A lab's state.json: what it built and started, so later runs (up again, status, down) can find it.
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LabHostKind } from "./host-kind.js";

export interface LabHostState {
  /** Inventory name: h1, h2, ... */
  name: string;
  index: number;
  namespace: string;
  /** Root-namespace end of the host's veth pair (the other end is eth0 in the namespace). */
  veth: string;
  address: string;
  /**
   * The process the lab started to keep the host's sshd up; it going away means the host is down.
   * plain: sshd itself. busybox: the `unshare` holding the chrooted sshd's namespaces. debian: the
   * supervisor that runs systemd-nspawn (sshd is a service inside, its PID changes at every reboot).
   */
  sshdPid: number;
  /** debian and busybox: the host's root filesystem (what `/` is inside it), under the lab dir. */
  root?: string;
  /** SHA256:... as `ssh-keygen -l` prints it. */
  hostKeyFingerprint: string;
  /** The host's public key line, `ssh-ed25519 AAAA... comment`. */
  hostKey: string;
}

export interface LabState {
  name: string;
  /** What every host of the lab is made of; state written before kinds existed reads as "plain". */
  kind: LabHostKind;
  /** Absolute state directory. */
  dir: string;
  bridge: string;
  /** CIDR, e.g. 10.77.42.0/24 */
  subnet: string;
  /** The bridge's address: the controller as hosts see it. */
  gateway: string;
  /** Absolute paths of the generated files. */
  key: string;
  knownHosts: string;
  inventory: string;
  loginUser?: string;
  hosts: LabHostState[];
}

export function statePath(dir: string): string {
  return join(dir, "state.json");
}

/** The saved state, or undefined when there is none or it is unreadable (a crash mid-write). */
export async function readLabState(dir: string): Promise<LabState | undefined> {
  try {
    const value = JSON.parse(await readFile(statePath(dir), "utf8")) as Partial<LabState>;
    return Array.isArray(value.hosts) ? ({ ...value, kind: value.kind ?? "plain" } as LabState) : undefined;
  } catch {
    return undefined;
  }
}

/** Written to a temporary file and renamed, so a reader never sees half a state. */
export async function writeLabState(state: LabState): Promise<void> {
  const path = statePath(state.dir);
  await writeFile(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}
