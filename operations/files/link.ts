// files.link: a symbolic link points at a target (replaced atomically when it points elsewhere), or is absent.
import { dirname } from "node:path/posix";
import { defineOperation } from "../../src/operations/define.js";
import { command, quote } from "../../src/shell.js";
import { file } from "../../facts/files/file.js";
import { requireAbsolute, factsAbout } from "./path.js";

export interface LinkArgs {
  path: string;
  /** What the link points at, stored as given (may be relative). */
  target: string;
  present?: boolean;
  user?: string;
  group?: string;
}

export const link = defineOperation<LinkArgs>({
  name: "files.link",
  describe: (a) => (a.present === false ? `no link ${a.path}` : `link ${a.path} → ${a.target}`),
  facts: (a) => [file(requireAbsolute(a.path, "files.link"))],
  async plan(host, a) {
    const path = requireAbsolute(a.path, "files.link");
    const stat = await host.fact(file(path));
    const invalidates = [factsAbout(path)];
    if (a.present === false) {
      if (!stat) return null;
      if (stat.type !== "link") throw new Error(`${path} is a ${stat.type}, not a link: refusing to remove it`);
      return { description: `remove link ${path}`, steps: [{ command: command("rm", "-f", "--", path) }], invalidates };
    }
    if (typeof a.target !== "string" || a.target === "" || a.target.includes("\0")) throw new Error(`files.link: target must be a non-empty path`);
    if (stat && stat.type !== "link") throw new Error(`${path} exists and is a ${stat.type}, not a link: remove it first`);
    const owner = a.user !== undefined || a.group !== undefined ? `${a.user ?? ""}${a.group !== undefined ? `:${a.group}` : ""}` : undefined;
    const ownerOk = !owner || ((a.user === undefined || a.user === stat?.user) && (a.group === undefined || a.group === stat?.group));
    if (stat?.linkTarget === a.target && ownerOk) return null;
    // ln -s to a temp name then mv -T: the link is never missing, even for a moment.
    const tmp = `${dirname(path)}/.pine.link.${Math.random().toString(36).slice(2, 10)}`;
    const steps = [command("ln", "-s", "--", a.target, tmp)];
    if (owner) steps.push(command("chown", "-h", owner, tmp));
    steps.push(`mv -fT ${quote(tmp)} ${quote(path)} || { rm -f ${quote(tmp)}; exit 1; }`);
    return {
      description: stat ? `link ${path}: ${stat.linkTarget} → ${a.target}` : `create link ${path} → ${a.target}`,
      steps: [{ command: steps.join(" && ") }],
      invalidates,
    };
  },
});
