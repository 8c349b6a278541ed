// ostree.rollback: the next boot goes back to the deployment before the current one (the one below the booted one;
// on a sysroot nobody booted, the second). ostree has no reorder command here, so its commit is deployed again.
// An action more than a state: unchanged only when the next boot already is that commit.
import { defineOperation } from "../../src/operations/define.js";
import { deployments } from "../../facts/ostree/deployments.js";
import { admin, target, type OstreeTarget } from "./common.js";

export const rollback = defineOperation<OstreeTarget>({
  name: "ostree.rollback",
  describe: () => "next boot goes back to the previous deployment",
  facts: (a) => [deployments(target(a, "ostree.rollback").sysroot)],
  async plan(host, a) {
    const { osname, sysroot } = target(a, "ostree.rollback");
    const list = (await host.fact(deployments(sysroot))).filter((d) => d.osname === osname);
    const booted = list.findIndex((d) => d.booted);
    const previous = list[(booted >= 0 ? booted : 0) + 1];
    if (!previous) throw new Error(`ostree.rollback: ${host.name} has no earlier ${osname} deployment to go back to`);
    if (booted >= 0 && list[0]!.commit === previous.commit && list[0] !== list[booted]) return null;
    return {
      description: `deploy the previous commit ${previous.commit.slice(0, 12)}… as the next boot`,
      steps: [{ command: admin(sysroot, "deploy", `--os=${osname}`, previous.commit), timeoutMs: 1_800_000 }],
      invalidates: ["ostree.*"],
    };
  },
});
