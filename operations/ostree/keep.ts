// ostree.keep: at most `count` deployments remain — the next boot's and the booted one always among them — then
// unreferenced objects are cleaned up. Undeploys run from the highest index down, since indices shift.
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { deployments } from "../../facts/ostree/deployments.js";
import { admin, target, type OstreeTarget } from "./common.js";

export interface KeepArgs extends OstreeTarget {
  /** Default 2: booted + new. */
  count?: number;
}

export const keep = defineOperation<KeepArgs>({
  name: "ostree.keep",
  describe: (a) => `at most ${a.count ?? 2} deployments`,
  facts: (a) => [deployments(target(a, "ostree.keep").sysroot)],
  async plan(host, a) {
    const { sysroot } = target(a, "ostree.keep");
    const count = a.count ?? 2;
    if (!Number.isInteger(count) || count < 1) throw new UsageError(`ostree.keep: count must be a whole number >= 1, got ${a.count}`);
    // Indices are over ALL deployments (every osname), as `ostree admin undeploy` counts them.
    const all = await host.fact(deployments(sysroot));
    const kept = new Set<number>([0]);
    const booted = all.findIndex((d) => d.booted);
    if (booted >= 0) kept.add(booted);
    for (let i = 0; i < all.length && kept.size < Math.max(count, kept.size); i++) kept.add(i);
    const drop = all.map((_, i) => i).filter((i) => !kept.has(i)).sort((x, y) => y - x);
    if (drop.length === 0) return null;
    return {
      description: `undeploy ${drop.map((i) => `${all[i]!.commit.slice(0, 12)}….${all[i]!.serial}`).join(", ")}; keep ${[...kept].sort().map((i) => all[i]!.commit.slice(0, 12) + "…").join(", ")}`,
      steps: [...drop.map((i) => ({ command: admin(sysroot, "undeploy", i) })), { command: admin(sysroot, "cleanup"), timeoutMs: 1_800_000 }],
      invalidates: ["ostree.*"],
    };
  },
});
