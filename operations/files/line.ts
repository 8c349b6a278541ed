// files.line: a line is present in a file (optionally replacing the line a regex matches), or absent from it.
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { content as contentFact } from "../../facts/files/content.js";
import { atomicWriteCommand } from "./atomic-write.js";
import { contentDiff } from "./diff.js";
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

const MAX_EDIT_BYTES = 4 * 1024 * 1024;

export const line = defineOperation<LineArgs>({
  name: "files.line",
  describe: (a) => `${a.present === false ? "no line" : "line"} ${JSON.stringify(a.line)} in ${a.path}`,
  facts: (a) => [contentFact(requireAbsolute(a.path, "files.line"), MAX_EDIT_BYTES)],
  async plan(host, a) {
    const path = requireAbsolute(a.path, "files.line");
    if (typeof a.line !== "string" || a.line.includes("\n")) throw new UsageError(`files.line ${path}: line must be one line of text`);
    let matcher: RegExp | undefined;
    try {
      matcher = a.match === undefined ? undefined : new RegExp(a.match);
    } catch (error) {
      throw new UsageError(`files.line ${path}: match is not a valid regex: ${(error as Error).message}`);
    }
    const matches = (l: string) => l === a.line || (matcher?.test(l) ?? false);
    const current = await host.fact(contentFact(path, MAX_EDIT_BYTES));
    if (current && current.bytes === null) throw new Error(`${path} is larger than ${MAX_EDIT_BYTES} bytes: files.line edits only smaller files`);
    const text = current?.bytes?.toString("utf8") ?? "";
    const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
    let next: string[];
    if (a.present === false) {
      next = lines.filter((l) => !matches(l));
      if (next.length === lines.length) return null;
    } else {
      if (lines.includes(a.line) && (!matcher || lines.every((l) => l === a.line || !matcher!.test(l)))) return null;
      if (!current && a.create === false) throw new Error(`${path} does not exist (create: false)`);
      const at = lines.findIndex(matches);
      next = at >= 0 ? lines.map((l, i) => (i === at ? a.line : l)).filter((l, i) => i <= at || !matches(l)) : [...lines, a.line];
    }
    const after = Buffer.from(next.length ? `${next.join("\n")}\n` : "", "utf8");
    return {
      description: a.present === false ? `remove line(s) from ${path}` : `${current ? "edit" : "create"} ${path}: line ${JSON.stringify(a.line)}`,
      steps: [{ command: atomicWriteCommand(path, {}, "files.line"), stdin: after, display: `rewrite ${path} (temp file + rename)` }],
      diff: contentDiff(path, current?.bytes ?? null, after),
      invalidates: ["files.*"],
    };
  },
});
