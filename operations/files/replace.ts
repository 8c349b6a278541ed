// files.replace: every match of a regex in a file's text is replaced (JavaScript replace semantics, `$1` groups); atomic rewrite with a diff.
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { editFacts, planEdit } from "./edit.js";
import { requireAbsolute } from "./path.js";

export interface ReplaceArgs {
  path: string;
  /** A regex in JavaScript syntax (a string or a RegExp). */
  match: string | RegExp;
  /** The replacement; `$1`, `$&` and `$<name>` refer to the match as in String.prototype.replace. */
  replace: string;
  /** Regex flags for a string `match`; default "gm" (every match, ^ and $ at each line). */
  flags?: string;
  /** Fail when the file does not exist (default); false: nothing to do then. */
  required?: boolean;
}

function matcher(a: ReplaceArgs, path: string): RegExp {
  if (typeof a.replace !== "string") throw new UsageError(`files.replace ${path}: replace must be a string`);
  if (a.match instanceof RegExp) return a.match;
  if (typeof a.match !== "string" || a.match === "") throw new UsageError(`files.replace ${path}: match must be a non-empty regex string or a RegExp`);
  try {
    return new RegExp(a.match, a.flags ?? "gm");
  } catch (error) {
    throw new UsageError(`files.replace ${path}: match is not a valid regex (flags ${JSON.stringify(a.flags ?? "gm")}): ${(error as Error).message}`);
  }
}

export const replace = defineOperation<ReplaceArgs>({
  name: "files.replace",
  describe: (a) => `${a.path}: ${String(a.match)} → ${JSON.stringify(a.replace)}`,
  facts: (a) => editFacts(requireAbsolute(a.path, "files.replace")),
  async plan(host, a) {
    const path = requireAbsolute(a.path, "files.replace");
    const regex = matcher(a, path);
    return planEdit(host, path, "files.replace", (text) => {
      if (text === null) {
        if (a.required === false) return null;
        throw new Error(`files.replace: ${path} does not exist (pass required: false to allow that)`);
      }
      regex.lastIndex = 0;
      const all = text.match(new RegExp(regex.source, regex.flags.includes("g") ? regex.flags : `${regex.flags}g`))?.length ?? 0;
      // A RegExp without the g flag replaces only its first match.
      const count = regex.flags.includes("g") ? all : Math.min(all, 1);
      const next = text.replace(regex, a.replace);
      if (next === text) return null;
      return { text: next, description: `edit ${path}: replace ${count} match${count === 1 ? "" : "es"} of ${String(regex)}` };
    });
  },
});
