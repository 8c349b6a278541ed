// upgrade.reboot: reboot the host (a container: restart it) and wait until it answers from a NEW boot, named as
// server.reboot names it (bootIdentity: the kernel's boot id, the PID namespace and the start time of process 1; the
// kernel hands a restarted container the same namespace inode number again, so the start time is what tells).
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { isControllerMachine, kernelIdentity } from "../../facts/server/kernel-identity.js";
import { bootIdentity, scheduleCommand, waitForNewBoot } from "../../operations/server/reboot.js";

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
    const identity = await host.fact(kernelIdentity);
    if (isControllerMachine(identity)) {
      throw new UsageError(`upgrade: ${host.name} is the machine pine itself runs on: refusing to reboot it`);
    }
    const before = bootIdentity(identity);
    const connector = host.connector;
    return {
      description: `reboot ${host.name} and wait up to ${Math.round(a.timeoutMs / 1000)}s for it to answer from a new boot`,
      steps: [{ command: scheduleCommand("reboot || reboot -f"), timeoutMs: 30_000 }],
      invalidates: ["*"],
      after: async () => {
        await waitForNewBoot(connector, host.name, before, {
          timeoutMs: a.timeoutMs,
          settleMs: a.settleMs ?? 1500,
          pollMs: a.pollMs ?? 1000,
          step: "upgrade.reboot",
          hint: "check the host's console; raise data.upgrade.rebootTimeout (seconds) for slow boots",
        });
      },
    };
  },
});
