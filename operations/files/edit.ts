// Planning an in-place edit of a text file: read it (up to a cap), let a pure function compute the new text,
// and plan an atomic rewrite with a diff when the text changed. Used by files.line, files.replace, server.sysctl.
import type { Plan } from "../../src/operations/define.js";
import type { HostContext } from "../../src/host.js";
import type { Fact } from "../../src/facts/define.js";
import { content as contentFact } from "../../facts/files/content.js";
import { file } from "../../facts/files/file.js";
import { atomicWriteStep } from "./atomic-write.js";
import type { Attributes } from "./attributes.js";
import { contentDiff } from "./diff.js";
import { factsAbout } from "./path.js";

export const MAX_EDIT_BYTES = 4 * 1024 * 1024;

export function editFacts(path: string): Fact<unknown>[] {
  return [file(path), contentFact(path, MAX_EDIT_BYTES)];
}

/** `edit` gets the file's text (null when absent) and returns the new text, or null to leave the file alone. */
export async function planEdit(
  host: HostContext,
  path: string,
  where: string,
  edit: (text: string | null) => { text: string; description: string } | null,
  attributes: Attributes = {},
): Promise<Plan | null> {
  const [stat, current] = await host.facts(file(path), contentFact(path, MAX_EDIT_BYTES));
  if (current && current.bytes === null) throw new Error(`${where}: ${path} is larger than ${MAX_EDIT_BYTES} bytes; it edits only smaller files`);
  const before = current?.bytes ?? null;
  const result = edit(before === null ? null : before.toString("utf8"));
  if (!result) return null;
  const after = Buffer.from(result.text, "utf8");
  if (before && before.equals(after)) return null;
  return {
    description: result.description,
    steps: [atomicWriteStep({ path, bytes: after, attributes, where, existing: stat, display: `rewrite ${path} (temp file + rename)` })],
    diff: contentDiff(path, before, after),
    invalidates: [factsAbout(path)],
  };
}
