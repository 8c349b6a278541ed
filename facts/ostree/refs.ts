// ostree.refs: refs in the system repository (/ostree/repo), as "remote:ref" or local "ref".
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines } from "../output.js";

export interface OstreeRef {
  remote: string | null;
  ref: string;
}

export const refs = defineFact<OstreeRef[]>({
  name: "ostree.refs",
  command: `if ! command -v ostree >/dev/null 2>&1; then echo '@@unavailable ostree is not installed'; elif [ ! -d /ostree/repo ]; then echo '@@unavailable no /ostree/repo (not an OSTree system)'; else ostree refs --repo=/ostree/repo; fi`,
  parse(output) {
    requireSmall(output, "ostree.refs", 4 * 1024 * 1024);
    const lines = splitLines(output.stdout).filter((l) => l.trim() !== "");
    if (lines[0]?.startsWith("@@unavailable ")) throw new FactUnavailable(lines[0].slice(14));
    if (output.exitCode !== 0) throw new FactUnavailable(`ostree refs failed (exit ${output.exitCode ?? "none"}): ${output.stderr.trim()}`);
    return lines.map((l) => {
      const at = l.indexOf(":");
      return at > 0 ? { remote: l.slice(0, at), ref: l.slice(at + 1) } : { remote: null, ref: l };
    });
  },
});
