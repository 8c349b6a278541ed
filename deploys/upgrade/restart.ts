// upgrade.reboot: reboot the host (a container: restart it) and wait until it answers from a NEW boot. A boot is
// named by the kernel's boot id and the start time of process 1: server.reboot's PID-namespace identity is not
// enough for containers, since the kernel hands a restarted container the same namespace inode number again
// (seen 4 times in 6 restarts of an nspawn container), which leaves a finished restart looking like none.
import { PineError, UsageError } from "../../src/errors.js";
import type { Connector } from "../../src/connectors/types.js";
import { defineOperation } from "../../src/operations/define.js";
import { isControllerMachine, kernelIdentity } from "../../facts/server/kernel-identity.js";
import { scheduleCommand } from "../../operations/server/reboot.js";

/** `BOOT_ID PID1_START`: the start time is field 22 of /proc/1/stat, counted after the `(comm)` that may hold spaces. */
export const bootCommand = `printf '%s %s\\n' "$(cat /proc/sys/kernel/random/boot_id)" "$(sed 's/^.*) //' /proc/1/stat | cut -d' ' -f20)"`;

export function parseBoot(stdout: string): string | undefined {
  const line = stdout.trim();
  return /^[0-9a-f-]{36} \d+$/.test(line) ? line : undefined;
}

export interface RestartArgs {
  timeoutMs: number;
  /** Before the first check, and between checks. */
  settleMs?: number;
  pollMs?: number;
}

export const restart = defineOperation<RestartArgs>({
  name: "upgrade.reboot",
  describe: () => "reboot (a container: restart) and wait for the new boot",
  facts: () => [kernelIdentity],
  async plan(host, a) {
    if (isControllerMachine(await host.fact(kernelIdentity))) {
      throw new UsageError(`upgrade: ${host.name} is the machine pine itself runs on: refusing to reboot it`);
    }
    const before = parseBoot((await host.run(bootCommand, { step: "upgrade.reboot" })).stdout);
    if (!before) throw new PineError("upgrade.reboot: cannot read the boot id and the start of process 1", { host: host.name, step: "upgrade.reboot" });
    const connector = host.connector;
    return {
      description: `reboot ${host.name} and wait up to ${Math.round(a.timeoutMs / 1000)}s for it to answer from a new boot`,
      steps: [{ command: scheduleCommand("reboot || reboot -f"), timeoutMs: 30_000 }],
      invalidates: ["*"],
      after: () => waitForBoot(connector, host.name, before, a),
    };
  },
});

async function waitForBoot(connector: Connector, name: string, before: string, a: RestartArgs): Promise<void> {
  const deadline = Date.now() + a.timeoutMs;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let last = "no answer yet";
  await connector.close().catch(() => undefined);
  await pause(a.settleMs ?? 1500);
  while (Date.now() < deadline) {
    try {
      const left = Math.max(1000, deadline - Date.now());
      const result = await withTimeout(connector.exec(bootCommand, { timeoutMs: Math.min(15_000, left) }), Math.min(30_000, left));
      const now = parseBoot(result.stdout);
      if (now && now !== before) return;
      last = now ? "the host still answered from the old boot (the reboot has not happened yet)" : `reading the boot failed (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message.split("\n")[0]!;
      // A half-dead connection must not be reused: the next exec opens a new one.
      await connector.close().catch(() => undefined);
    }
    await pause(a.pollMs ?? 1000);
  }
  throw new PineError(`upgrade.reboot: ${name} did not come back in a new boot within ${Math.round(a.timeoutMs / 1000)}s`, {
    host: name,
    step: "upgrade.reboot",
    stderr: `last check: ${last}`,
    hint: "check the host's console; raise data.upgrade.rebootTimeout (seconds) for slow boots",
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 1000)}s`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
