// files.put: a file holds exactly the given content (a string, bytes or a local file), with mode and owner; written atomically.
import { readFileSync } from "node:fs";
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { describeAttributes, parseMode, type Attributes } from "./attributes.js";
import { requireAbsolute } from "./path.js";
import { planWrite, writeFacts } from "./write.js";

export interface PutArgs extends Attributes {
  path: string;
  /** The file's content. Exactly one of content / src. */
  content?: string | Buffer;
  /** A file on the controller whose bytes are uploaded. */
  src?: string;
}

/** The bytes named by `content` or `src` (exactly one), read on the controller. */
export function sourceBytes(a: { path: string; content?: string | Buffer; src?: string }, where: string): Buffer {
  if ((a.content === undefined) === (a.src === undefined)) throw new UsageError(`${where} ${a.path}: give exactly one of content or src`);
  if (a.src !== undefined) {
    try {
      return readFileSync(a.src);
    } catch (error) {
      throw new UsageError(`${where} ${a.path}: cannot read local file ${a.src}: ${(error as Error).message}`);
    }
  }
  if (typeof a.content !== "string" && !Buffer.isBuffer(a.content)) throw new UsageError(`${where} ${a.path}: content must be a string or a Buffer`);
  return Buffer.isBuffer(a.content) ? a.content : Buffer.from(a.content, "utf8");
}

export const put = defineOperation<PutArgs>({
  name: "files.put",
  describe: (a) => `file ${a.path}${describeAttributes(a)}`,
  facts: (a) => writeFacts(requireAbsolute(a.path, "files.put")),
  async plan(host, a) {
    const path = requireAbsolute(a.path, "files.put");
    parseMode(a.mode, `files.put ${path}`);
    return planWrite(host, path, sourceBytes(a, "files.put"), a, "files.put");
  },
});
