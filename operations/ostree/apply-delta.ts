// ostree.apply_delta: the repository holds a commit, brought by a static delta file already on the host
// (pushed with files.put or fetched with files.download, both sha256-checked). Done when the commit is there.
import { defineOperation } from "../../src/operations/define.js";
import { command, quote } from "../../src/shell.js";
import { hasCommit } from "../../facts/ostree/has-commit.js";
import { requireAbsolute } from "../files/path.js";
import { commitId, target, type OstreeTarget } from "./common.js";

export interface ApplyDeltaArgs extends OstreeTarget {
  /** The static delta file on the host (`delta.tar`, or `delta_base.tar` from empty). */
  delta: string;
  /** The commit the delta leads to. */
  commit: string;
}

export const applyDelta = defineOperation<ApplyDeltaArgs>({
  name: "ostree.apply_delta",
  describe: (a) => `commit ${String(a.commit).slice(0, 12)}… in the repository`,
  facts: (a) => [hasCommit(target(a, "ostree.apply_delta").repo, commitId(a.commit, "ostree.apply_delta"))],
  async plan(host, a) {
    const { repo } = target(a, "ostree.apply_delta");
    const commit = commitId(a.commit, "ostree.apply_delta");
    const delta = requireAbsolute(a.delta, "ostree.apply_delta: delta");
    if (await host.fact(hasCommit(repo, commit))) return null;
    return {
      description: `apply static delta ${delta} to ${repo} (→ ${commit.slice(0, 12)}…)`,
      steps: [
        {
          command: [
            command("ostree", `--repo=${repo}`, "static-delta", "apply-offline", delta),
            // A delta for another commit (or from a base this repo lacks) must not pass as success.
            `if ! ${command("ostree", `--repo=${repo}`, "show", commit)} >/dev/null 2>&1; then echo ${quote(`the delta ${delta} did not bring commit ${commit}`)} >&2; exit 1; fi`,
          ].join(" && "),
          timeoutMs: 1_800_000,
        },
      ],
      invalidates: ["ostree.*"],
    };
  },
});
