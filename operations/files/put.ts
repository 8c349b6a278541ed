// files.put: a file holds exactly the given content (a string, bytes or a local file), with mode and owner; written atomically.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { content as contentFact } from "../../facts/files/content.js";
import { file } from "../../facts/files/file.js";
import { atomicWriteCommand } from "./atomic-write.js";
import { attributeChanges, describeAttributes, type Attributes } from "./attributes.js";
import { contentDiff } from "./diff.js";
import { requireAbsolute } from "./path.js";

export interface PutArgs extends Attributes {
  path: string;
  /** The file's content. Exactly one of content / src. */
  content?: string | Buffer;
  /** A file on the controller whose bytes are uploaded. */
  src?: string;
}

function desiredBytes(a: PutArgs): Buffer {
  if ((a.content === undefined) === (a.src === undefined)) throw new UsageError(`files.put ${a.path}: give exactly one of content or src`);
  if (a.src !== undefined) {
    try {
      return readFileSync(a.src);
    } catch (error) {
      throw new UsageError(`files.put ${a.path}: cannot read local file ${a.src}: ${(error as Error).message}`);
    }
  }
  return Buffer.isBuffer(a.content) ? a.content : Buffer.from(a.content!, "utf8");
}

export const put = defineOperation<PutArgs>({
  name: "files.put",
  describe: (a) => `file ${a.path}${describeAttributes(a)}`,
  facts: (a) => {
    const path = requireAbsolute(a.path, "files.put");
    return [file(path), contentFact(path)];
  },
  async plan(host, a) {
    const path = requireAbsolute(a.path, "files.put");
    const bytes = desiredBytes(a);
    const stat = await host.fact(file(path));
    if (stat && stat.type !== "file") throw new Error(`${path} exists and is a ${stat.type}, not a regular file: remove it first`);
    const current = stat ? await host.fact(contentFact(path)) : null;
    const sha = createHash("sha256").update(bytes).digest("hex");
    const invalidates = ["files.*"];
    if (!current || current.sha256 !== sha) {
      return {
        description: `${current ? "update" : "create"} file ${path} (${bytes.length} bytes)${describeAttributes(a)}`,
        steps: [{ command: atomicWriteCommand(path, a, "files.put"), stdin: bytes, display: `write ${bytes.length} bytes to ${path} (temp file + rename)` }],
        diff: contentDiff(path, current?.bytes ?? null, bytes, current && !current.bytes ? current.size : undefined),
        invalidates,
      };
    }
    const { steps, changes } = attributeChanges(path, stat!, a, "files.put");
    if (steps.length === 0) return null;
    return { description: `file ${path}: ${changes.join(", ")}`, steps: [{ command: steps.join(" && ") }], invalidates };
  },
});
