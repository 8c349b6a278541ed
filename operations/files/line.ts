// files.line: a line is present in a file (optionally replacing the line a regex matches), or absent from it.
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { editFacts, planEdit } from "./edit.js";
import { requireAbsolute } from "./path.js";

export interface LineArgs {
  path: string;
  line: string;
  /** A regex (JavaScript syntax) for the line to replace; default: the exact line. */
  match?: string;
  /** false removes every line equal to `line` (or matching `match`). Default true. */
  present?: boolean;
  /** Create the file when it does not exist (default true for present lines). */
  create?: boolean;
}

/** Pure: the file's new text with the line ensured (or removed), or null when it already is as asked. */
export function editLine(text: string | null, a: LineArgs, where: string): string | null {
  if (typeof a.line !== "string" || a.line.includes("\n")) throw new UsageError(`${where} ${a.path}: line must be one line of text`);
  let matcher: RegExp | undefined;
  try {
    matcher = a.match === undefined ? undefined : new RegExp(a.match);
  } catch (error) {
    throw new UsageError(`${where} ${a.path}: match is not a valid regex: ${(error as Error).message}`);
  }
  const matches = (l: string) => l === a.line || (matcher?.test(l) ?? false);
  const lines = !text ? [] : text.replace(/\n$/, "").split("\n");
  let next: string[];
  if (a.present === false) {
    next = lines.filter((l) => !matches(l));
    if (next.length === lines.length) return null;
  } else {
    if (lines.includes(a.line) && (!matcher || lines.every((l) => l === a.line || !matcher!.test(l)))) return null;
    if (text === null && a.create === false) throw new Error(`${where}: ${a.path} does not exist (create: false)`);
    const at = lines.findIndex(matches);
    next = at >= 0 ? lines.map((l, i) => (i === at ? a.line : l)).filter((l, i) => i <= at || !matches(l)) : [...lines, a.line];
  }
  return next.length ? `${next.join("\n")}\n` : "";
}

export const line = defineOperation<LineArgs>({
  name: "files.line",
  describe: (a) => `${a.present === false ? "no line" : "line"} ${JSON.stringify(a.line)} in ${a.path}`,
  facts: (a) => editFacts(requireAbsolute(a.path, "files.line")),
  async plan(host, a) {
    const path = requireAbsolute(a.path, "files.line");
    return planEdit(host, path, "files.line", (text) => {
      const next = editLine(text, { ...a, path }, "files.line");
      if (next === null) return null;
      const description = a.present === false ? `remove line(s) from ${path}` : `${text !== null ? "edit" : "create"} ${path}: line ${JSON.stringify(a.line)}`;
      return { text: next, description };
    });
  },
});
