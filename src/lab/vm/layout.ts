// Where a VM host keeps its files inside its directory: the disk copy, logs, PID files, keys.
import { join, resolve } from "node:path";
import { UsageError } from "../../errors.js";

/** Paths land on qemu's command line (`file=...,format=raw`): a comma there would split the option. */
const SAFE_PATH = /^[A-Za-z0-9_./@+-]+$/;

export interface VmFiles {
  dir: string;
  /** The VM's own copy of the cached disk: what the guest sees as /dev/vda. */
  disk: string;
  /** The guest's serial console (ttyS0), every boot appended. */
  console: string;
  /** qemu's own stdout and stderr. */
  qemuLog: string;
  qemuPid: string;
  supervisorScript: string;
  supervisorPid: string;
  supervisorLog: string;
  /** The guest's SSH host key pair; the controller records the public half. */
  hostKey: string;
  /** Where the disk copy's root partition is mounted while the VM's identity is written into it. */
  mount: string;
}

export function vmFiles(dir: string): VmFiles {
  const absolute = resolve(dir);
  if (!SAFE_PATH.test(absolute)) {
    throw new UsageError(`invalid VM dir ${JSON.stringify(dir)}: use letters, digits and _ . / @ + - only`, {
      hint: "the disk path is part of a qemu option, where commas and spaces would break it",
    });
  }
  return {
    dir: absolute,
    disk: join(absolute, "disk.img"),
    console: join(absolute, "console.log"),
    qemuLog: join(absolute, "qemu.log"),
    qemuPid: join(absolute, "qemu.pid"),
    supervisorScript: join(absolute, "supervise.sh"),
    supervisorPid: join(absolute, "supervisor.pid"),
    supervisorLog: join(absolute, "supervisor.log"),
    hostKey: join(absolute, "ssh_host_ed25519_key"),
    mount: join(absolute, "mnt"),
  };
}
