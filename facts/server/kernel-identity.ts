// server.kernelIdentity: which kernel boot and which PID namespace the host runs in. pine compares them with
// the controller's own: a "host" sharing the controller's PID namespace (or, for a VM, its kernel) is the
// controller's machine itself, and a destructive install or reboot there would take down the controller.
import { readFileSync, readlinkSync } from "node:fs";
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { keyValues, splitLines } from "../output.js";

export interface KernelIdentity {
  /** /proc/sys/kernel/random/boot_id: changes at every boot of the kernel. */
  bootId: string;
  /** readlink /proc/self/ns/pid, e.g. pid:[4026531836]; null where the kernel has no namespaces. */
  pidNamespace: string | null;
  /**
   * When PID 1 started, in clock ticks since the kernel booted (/proc/1/stat field 22): a container's restart
   * changes it even where its boot id stays (LXC, OpenVZ) and the kernel reuses the PID namespace's inode number.
   */
  initStart: number | null;
}

export const kernelIdentityCommand = [
  `printf 'boot_id=%s\\n' "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"`,
  `printf 'pidns=%s\\n' "$(readlink /proc/self/ns/pid 2>/dev/null)"`,
  // Field 22 is the 20th after the ") " that closes the command name (which may itself hold spaces).
  `printf 'init_start=%s\\n' "$(sed 's/.*) //' /proc/1/stat 2>/dev/null | cut -d' ' -f20)"`,
].join("\n");

export function parseKernelIdentity(stdout: string): KernelIdentity {
  const kv = keyValues(splitLines(stdout));
  const bootId = kv.get("boot_id") ?? "";
  if (!/^[0-9a-f-]{36}$/.test(bootId)) throw new FactUnavailable("cannot read /proc/sys/kernel/random/boot_id");
  const pid = kv.get("pidns") ?? "";
  const start = kv.get("init_start") ?? "";
  return { bootId, pidNamespace: /^pid:\[\d+\]$/.test(pid) ? pid : null, initStart: /^\d+$/.test(start) ? Number(start) : null };
}

export const kernelIdentity = defineFact<KernelIdentity>({
  name: "server.kernelIdentity",
  command: kernelIdentityCommand,
  parse: (out) => parseKernelIdentity(out.stdout),
});

/** The same identity for the controller itself, read locally. */
export function localKernelIdentity(): KernelIdentity {
  const read = (f: () => string): string | null => {
    try {
      return f();
    } catch {
      return null;
    }
  };
  const stat = read(() => readFileSync("/proc/1/stat", "utf8"));
  const start = stat ? stat.slice(stat.lastIndexOf(") ") + 2).split(" ")[19] : undefined;
  return {
    bootId: read(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()) ?? "",
    pidNamespace: read(() => readlinkSync("/proc/self/ns/pid")),
    initStart: start && /^\d+$/.test(start) ? Number(start) : null,
  };
}

/** True when the host is the controller's own machine: same kernel boot and same PID namespace. */
export function isControllerMachine(host: KernelIdentity, controller: KernelIdentity = localKernelIdentity()): boolean {
  return host.pidNamespace !== null && host.pidNamespace === controller.pidNamespace && host.bootId === controller.bootId;
}
