// Where a lab keeps its files inside its state directory.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { UsageError } from "../errors.js";
import type { SshdFiles } from "./sshd.js";

/** Paths land unquoted in sshd_config and inventory.yaml, so they keep to characters neither needs quoted. */
const SAFE_PATH = /^[A-Za-z0-9_./@+-]+$/;

export interface LabLayout {
  dir: string;
  key: string;
  publicKey: string;
  knownHosts: string;
  inventory: string;
}

export function labLayout(dir: string): LabLayout {
  const absolute = resolve(dir);
  if (!SAFE_PATH.test(absolute)) {
    throw new UsageError(`invalid lab dir ${JSON.stringify(dir)}: use letters, digits and _ . / @ + - only`, {
      hint: "the path is written unquoted into sshd_config and inventory.yaml",
    });
  }
  return {
    dir: absolute,
    key: join(absolute, "id_ed25519"),
    publicKey: join(absolute, "id_ed25519.pub"),
    knownHosts: join(absolute, "known_hosts"),
    inventory: join(absolute, "inventory.yaml"),
  };
}

/** Where `pine lab` keeps a lab when no dir is given: $XDG_STATE_HOME/pine/lab/NAME (~/.local/state/...). */
export function defaultLabDir(name: string): string {
  const stateHome = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(stateHome, "pine", "lab", name);
}

/** Host i's own directory: host key, sshd_config, PID file, log. */
export function hostDir(layout: LabLayout, hostName: string): string {
  return join(layout.dir, "hosts", hostName);
}

export function sshdFiles(layout: LabLayout, hostName: string): SshdFiles {
  const dir = hostDir(layout, hostName);
  return {
    config: join(dir, "sshd_config"),
    hostKey: join(dir, "ssh_host_ed25519_key"),
    pidFile: join(dir, "sshd.pid"),
    log: join(dir, "sshd.log"),
  };
}

/** Files of a host with its own root filesystem (kinds debian and busybox), all inside its host dir. */
export interface RootHostFiles {
  /** The host's root filesystem: what `/` is inside it. */
  root: string;
  /** debian: the shell script that keeps systemd-nspawn running, its PID, its log, nspawn's PID and console. */
  supervisorScript: string;
  supervisorPid: string;
  supervisorLog: string;
  nspawnPid: string;
  console: string;
  /** busybox: the PID of the `unshare` holding the chrooted sshd's namespaces. */
  sandboxPid: string;
}

export function rootHostFiles(layout: LabLayout, hostName: string): RootHostFiles {
  const dir = hostDir(layout, hostName);
  return {
    root: join(dir, "root"),
    supervisorScript: join(dir, "supervise.sh"),
    supervisorPid: join(dir, "supervisor.pid"),
    supervisorLog: join(dir, "supervisor.log"),
    nspawnPid: join(dir, "nspawn.pid"),
    console: join(dir, "console.log"),
    sandboxPid: join(dir, "sandbox.pid"),
  };
}
