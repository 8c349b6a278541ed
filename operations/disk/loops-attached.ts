// The loop devices pine attached on a host during this run, kept in host.state: disk.loop_detach frees only these,
// never a loop device someone else set up (no `losetup -D`, ever).
import type { HostContext } from "../../src/host.js";

export interface AttachedLoop {
  /** "/dev/loop3" */
  loop: string;
  /** The backing file or device as the kernel reported it right after the attach. */
  backing: string;
  offset: number;
  /** 0: up to the end of the backing file. */
  sizeLimit: number;
  partscan: boolean;
  readOnly: boolean;
}

const KEY = "disk.loops";

/** This host's record (created empty on first use). */
export function loopRecord(host: HostContext): Map<string, AttachedLoop> {
  let record = host.state.get(KEY);
  if (!(record instanceof Map)) {
    record = new Map<string, AttachedLoop>();
    host.state.set(KEY, record);
  }
  return record as Map<string, AttachedLoop>;
}

/** The loop devices pine attached on this host in this run and has not detached yet, oldest first. */
export function attachedLoops(host: HostContext): AttachedLoop[] {
  return [...loopRecord(host).values()];
}
