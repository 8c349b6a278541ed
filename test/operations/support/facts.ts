// Fact values for planning tests: a file stat and a content record built from plain text.
import { createHash } from "node:crypto";
import type { FileStat } from "../../../facts/files/file.js";
import type { FileContent } from "../../../facts/files/content.js";

export function stat(path: string, over: Partial<FileStat> = {}): FileStat {
  return { path, type: "file", mode: 0o644, user: "root", group: "root", uid: 0, gid: 0, size: 0, mtime: 0, ...over };
}

export function contentOf(text: string | Buffer, withBytes = true): FileContent {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  return { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length, bytes: withBytes ? bytes : null };
}

export const sha = (text: string) => createHash("sha256").update(text).digest("hex");
