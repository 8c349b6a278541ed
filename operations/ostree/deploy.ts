// ostree.deploy: the next boot uses a deployment of the given commit (`ostree admin deploy`); unchanged when it already does.
import { defineOperation } from "../../src/operations/define.js";
import { deployments } from "../../facts/ostree/deployments.js";
import { hasCommit } from "../../facts/ostree/has-commit.js";
import { admin, commitId, target, type OstreeTarget } from "./common.js";

export interface DeployArgs extends OstreeTarget {
  commit: string;
}

export const deploy = defineOperation<DeployArgs>({
  name: "ostree.deploy",
  describe: (a) => `next boot uses ${String(a.commit).slice(0, 12)}…`,
  facts: (a) => {
    const t = target(a, "ostree.deploy");
    return [deployments(t.sysroot), hasCommit(t.repo, commitId(a.commit, "ostree.deploy"))];
  },
  async plan(host, a) {
    const { osname, sysroot, repo } = target(a, "ostree.deploy");
    const commit = commitId(a.commit, "ostree.deploy");
    const list = (await host.fact(deployments(sysroot))).filter((d) => d.osname === osname);
    if (list[0]?.commit === commit) return null;
    if (!(await host.fact(hasCommit(repo, commit)))) throw new Error(`ostree.deploy: ${repo} has no commit ${commit}; apply its delta first (ostree.apply_delta)`);
    return {
      description: `deploy ${commit.slice(0, 12)}… (${osname}) as the next boot${list[0] ? `, after ${list[0].commit.slice(0, 12)}…` : ""}`,
      steps: [{ command: admin(sysroot, "deploy", `--os=${osname}`, commit), timeoutMs: 1_800_000 }],
      invalidates: ["ostree.*"],
    };
  },
});
