// ostree.has_commit(repo, commit): whether a repository holds a commit (e.g. after a static delta was applied).
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";

export const hasCommit = defineFactFamily<[repo: string, commit: string], boolean>({
  name: "ostree.has_commit",
  command: (repo, commit) =>
    [
      `if ! command -v ostree >/dev/null 2>&1; then echo '@@unavailable ostree is not installed'`,
      `elif [ ! -d ${quote(repo)} ]; then echo '@@unavailable no repository at '${quote(repo)}`,
      `elif ostree --repo=${quote(repo)} show ${quote(commit)} >/dev/null 2>&1; then echo yes; else echo no; fi`,
    ].join("\n"),
  parse(output) {
    const text = output.stdout.trim();
    if (text.startsWith("@@unavailable ")) throw new FactUnavailable(text.slice(14));
    if (text !== "yes" && text !== "no") throw new FactUnavailable(`ostree show printed ${JSON.stringify(text.slice(0, 100))}`);
    return text === "yes";
  },
});
