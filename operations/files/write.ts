// Planning a whole-file write: compare wanted bytes with the host's file, plan an atomic rewrite (with a diff)
// or only the chmod/chown that differ. Shared by files.put, files.template and other writers of whole files.
import { createHash } from "node:crypto";
import type { Plan } from "../../src/operations/define.js";
import type { HostContext } from "../../src/host.js";
import type { Fact } from "../../src/facts/define.js";
import { content as contentFact } from "../../facts/files/content.js";
import { file } from "../../facts/files/file.js";
import { sha256 as sha256Fact } from "../../facts/files/sha256.js";
import { atomicWriteStep } from "./atomic-write.js";
import { attributeChanges, describeAttributes, type Attributes } from "./attributes.js";
import { contentDiff } from "./diff.js";
import { factsAbout } from "./path.js";

/**
 * What planWrite reads: the stat and the sha256 (one program). The content itself is read only when the file differs,
 * for the diff (a second round trip, only on a change).
 */
export function writeFacts(path: string): Fact<unknown>[] {
  return [file(path), sha256Fact(path)];
}

export async function planWrite(host: HostContext, path: string, bytes: Buffer, attributes: Attributes, where: string): Promise<Plan | null> {
  const stat = await host.fact(file(path));
  if (stat && stat.type !== "file") throw new Error(`${where}: ${path} exists and is a ${stat.type}, not a regular file: remove it first`);
  const sha = createHash("sha256").update(bytes).digest("hex");
  const currentSha = stat ? await host.fact(sha256Fact(path)) : null;
  const invalidates = [factsAbout(path)];
  if (currentSha !== sha) {
    const current = stat ? await host.fact(contentFact(path)) : null;
    return {
      description: `${stat ? "update" : "create"} file ${path} (${bytes.length} bytes)${describeAttributes(attributes)}`,
      steps: [atomicWriteStep({ path, bytes, attributes, where, existing: stat, display: `write ${bytes.length} bytes to ${path} (temp file + rename)` })],
      diff: contentDiff(path, current?.bytes ?? null, bytes, current && !current.bytes ? current.size : undefined),
      invalidates,
    };
  }
  const { steps, changes } = attributeChanges(path, stat!, attributes, where);
  if (steps.length === 0) return null;
  return { description: `file ${path}: ${changes.join(", ")}`, steps: [{ command: steps.join(" && ") }], invalidates };
}
