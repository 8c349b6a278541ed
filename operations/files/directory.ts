// files.directory: a directory exists (with mode and owner), or is absent.
import { defineOperation } from "../../src/operations/define.js";
import { command, quote } from "../../src/shell.js";
import { file } from "../../facts/files/file.js";
import { attributeChanges, attributeCommands, describeAttributes, octal, parseMode, type Attributes } from "./attributes.js";
import { requireAbsolute, factsAbout } from "./path.js";

export interface DirectoryArgs extends Attributes {
  path: string;
  /** false removes the directory and everything in it. Default true. */
  present?: boolean;
}

export const directory = defineOperation<DirectoryArgs>({
  name: "files.directory",
  describe: (a) => `${a.present === false ? "no directory" : "directory"} ${a.path}${describeAttributes(a)}`,
  facts: (a) => [file(requireAbsolute(a.path, "files.directory"))],
  async plan(host, a) {
    const path = requireAbsolute(a.path, "files.directory");
    const stat = await host.fact(file(path));
    const invalidates = [factsAbout(path)];
    if (a.present === false) {
      if (!stat) return null;
      if (stat.type !== "directory") throw new Error(`${path} exists but is a ${stat.type}, not a directory: refusing to remove it`);
      return { description: `remove directory ${path} and its contents`, steps: [{ command: command("rm", "-rf", "--", path) }], invalidates };
    }
    if (!stat) {
      return {
        description: `create directory ${path}${describeAttributes(a)}`,
        // mkdir -m sets the mode itself (one program instead of mkdir + chmod); parents get the default mode.
        steps: [{ command: [mkdirCommand(path, parseMode(a.mode, "files.directory")), ...attributeCommands(quote(path), { ...a, mode: undefined }, "files.directory")].join(" && ") }],
        invalidates,
      };
    }
    if (stat.type !== "directory") throw new Error(`${path} exists but is a ${stat.type}: remove it first or choose another path`);
    const { steps, changes } = attributeChanges(path, stat, a, "files.directory");
    if (steps.length === 0) return null;
    return { description: `directory ${path}: ${changes.join(", ")}`, steps: [{ command: steps.join(" && ") }], invalidates };
  },
});

function mkdirCommand(path: string, mode: number | undefined): string {
  return mode === undefined ? command("mkdir", "-p", "--", path) : command("mkdir", "-m", octal(mode), "-p", "--", path);
}
