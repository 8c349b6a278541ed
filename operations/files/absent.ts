// files.absent: nothing is at a path — a file, link or special file is removed; a directory only with `recursive`.
import { defineOperation } from "../../src/operations/define.js";
import { command } from "../../src/shell.js";
import { file } from "../../facts/files/file.js";
import { requireAbsolute, factsAbout } from "./path.js";

export interface AbsentArgs {
  path: string;
  /** Also remove a directory and everything under it (default false: a directory is an error). */
  recursive?: boolean;
}

export const absent = defineOperation<AbsentArgs>({
  name: "files.absent",
  describe: (a) => `nothing at ${a.path}`,
  facts: (a) => [file(requireAbsolute(a.path, "files.absent"))],
  async plan(host, a) {
    const path = requireAbsolute(a.path, "files.absent");
    if (path === "/") throw new Error("files.absent: refusing to remove /");
    const stat = await host.fact(file(path));
    if (!stat) return null;
    if (stat.type === "directory" && a.recursive !== true) {
      throw new Error(`files.absent: ${path} is a directory; pass recursive: true to remove it and its contents`);
    }
    return {
      description: `remove ${stat.type} ${path}`,
      steps: [{ command: command("rm", stat.type === "directory" ? "-rf" : "-f", "--", path) }],
      invalidates: [factsAbout(path)],
    };
  },
});
