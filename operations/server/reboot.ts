// server.reboot: reboot the host and wait until it is back in a NEW boot (its boot id — or, in a container, its PID
// namespace — changed), not merely until ssh answers
// (an sshd that has not gone down yet answers too). The plan step only schedules the reboot so the channel closes cleanly;
// the `after` hook drops the connection and polls the boot id through the same connector, which reconnects on demand.
//
// Limits: the connector is the runner's; reconnecting needs the same address and credentials after the reboot.
// A new host key (pine reinstalled the host) is accepted only through a connector that offers `expectHostKey(key)`.
import { PineError, UsageError } from "../../src/errors.js";
import type { Connector } from "../../src/connectors/types.js";
import { defineOperation } from "../../src/operations/define.js";
import { quote } from "../../src/shell.js";
import { isControllerMachine, kernelIdentity, kernelIdentityCommand, parseKernelIdentity, type KernelIdentity } from "../../facts/server/kernel-identity.js";

/**
 * What changes when a host boots again: the kernel's boot id for a VM; for a container (which shares the kernel, so
 * its boot id may stay) the start time of its PID 1 — the PID namespace alone is not enough, the kernel reuses its
 * inode number across a container's restarts.
 */
export function bootIdentity(id: KernelIdentity): string {
  return `${id.bootId} ${id.pidNamespace ?? "-"} ${id.initStart ?? "-"}`;
}

export interface RebootArgs {
  /** How long the host may take to come back (default 600 000 ms). */
  timeoutMs?: number;
  /** The host's new SSH host key (`TYPE BASE64`), when the reboot changes it. */
  hostKey?: string;
  /** The reboot command (default: `reboot`, falling back to `reboot -f`). */
  command?: string;
  /** Reboot even when the host is the machine pine runs on (same kernel boot and PID namespace). Default false. */
  allowController?: boolean;
  /** Wait before the first check (default 3000 ms) and between checks (default 2000 ms). */
  settleMs?: number;
  pollMs?: number;
}

/** A connector that can be told to trust a new host key from now on. */
export interface HostKeyPinning {
  expectHostKey(key: string): void;
}

export function canPin(connector: Connector): connector is Connector & HostKeyPinning {
  return typeof (connector as Partial<HostKeyPinning>).expectHostKey === "function";
}

/** Detached and silent, so the command's channel closes at once and the reboot cannot cut a running exec. */
export function scheduleCommand(reboot: string): string {
  // trap '' HUP rather than nohup: busybox builds without the nohup applet exist (Debian's busybox-static).
  return `sh -c ${quote(`trap '' HUP; sleep 1; ${reboot}`)} >/dev/null 2>&1 </dev/null &`;
}

export interface WaitOptions {
  timeoutMs: number;
  settleMs: number;
  pollMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** The step the timeout error names, and its hint (defaults: server.reboot's). */
  step?: string;
  hint?: string;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll until the host answers with a boot id other than `before`; throws after the deadline with the last thing seen. */
export async function waitForNewBoot(connector: Connector, name: string, before: string, options: WaitOptions): Promise<string> {
  const sleep = options.sleep ?? pause;
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  let last = "no answer yet";
  await connector.close().catch(() => undefined);
  await sleep(options.settleMs);
  while (now() < deadline) {
    try {
      const left = Math.max(1_000, deadline - now());
      const result = await withTimeout(connector.exec(kernelIdentityCommand, { timeoutMs: Math.min(15_000, left) }), Math.min(30_000, left));
      if (result.exitCode === 0) {
        const id = bootIdentity(parseKernelIdentity(result.stdout));
        if (id !== before) return id;
        last = "the host still answered from the old boot (the reboot has not happened yet)";
      } else last = `reading the boot id failed (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message.split("\n")[0]!;
      // A half-dead connection must not be reused: the next exec opens a new one.
      await connector.close().catch(() => undefined);
    }
    await sleep(options.pollMs);
  }
  const step = options.step ?? "server.reboot";
  throw new PineError(`${step}: ${name} did not come back in a new boot within ${Math.round(options.timeoutMs / 1000)}s`, {
    host: name,
    step,
    stderr: `last check: ${last}`,
    hint: options.hint ?? "check the host's console; raise timeoutMs for slow boots",
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 1000)}s`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

export const reboot = defineOperation<RebootArgs>({
  name: "server.reboot",
  describe: () => "reboot and wait for the new boot",
  facts: () => [kernelIdentity],
  async plan(host, a) {
    const timeoutMs = a.timeoutMs ?? 600_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`server.reboot: timeoutMs must be a positive number, got ${a.timeoutMs}`);
    if (a.command !== undefined && (typeof a.command !== "string" || a.command.trim() === "")) throw new UsageError("server.reboot: command must be a non-empty string");
    if (a.hostKey !== undefined) {
      if (typeof a.hostKey !== "string" || !/^[a-z0-9@.-]+ [A-Za-z0-9+/=]+/.test(a.hostKey)) throw new UsageError("server.reboot: hostKey must be `TYPE BASE64` as in a .pub file");
      if (!canPin(host.connector)) {
        throw new UsageError(`server.reboot: the ${host.connector.kind} connector of ${host.name} cannot switch to a new host key (it has no expectHostKey)`);
      }
    }
    const identity = await host.fact(kernelIdentity);
    if (!a.allowController && isControllerMachine(identity)) {
      throw new UsageError(`server.reboot: ${host.name} is the machine pine itself runs on (same kernel boot and PID namespace): refusing to reboot it`, {
        hint: "pass allowController: true if you really mean to reboot the controller",
      });
    }
    const before = bootIdentity(identity);
    const connector = host.connector;
    return {
      description: `reboot ${host.name} (boot ${before.slice(0, 8)}…) and wait up to ${Math.round(timeoutMs / 1000)}s for a new boot`,
      steps: [{ command: scheduleCommand(a.command ?? "reboot || reboot -f"), timeoutMs: 30_000 }],
      invalidates: ["*"],
      async after() {
        if (a.hostKey !== undefined && canPin(connector)) connector.expectHostKey(a.hostKey);
        const after = await waitForNewBoot(connector, host.name, before, { timeoutMs, settleMs: a.settleMs ?? 3_000, pollMs: a.pollMs ?? 2_000 });
        host.log("info", `back in boot ${after.slice(0, 8)}… (was ${before.slice(0, 8)}…)`);
      },
    };
  },
});
