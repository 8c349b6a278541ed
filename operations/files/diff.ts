// A unified diff between a file's old and new bytes, for --dry and -v; binary or huge content is summarised.
import { createTwoFilesPatch } from "diff";

const MAX_DIFF_INPUT = 256 * 1024;

export function contentDiff(path: string, before: Buffer | null, after: Buffer, beforeSize?: number): string {
  if (before === null && beforeSize !== undefined) return `(${beforeSize} bytes → ${after.length} bytes; too large to diff)`;
  const old = before ?? Buffer.alloc(0);
  if (isBinary(old) || isBinary(after)) return `(binary content: ${old.length} bytes → ${after.length} bytes)`;
  if (old.length + after.length > MAX_DIFF_INPUT) return `(${old.length} bytes → ${after.length} bytes; too large to diff)`;
  const patch = createTwoFilesPatch(before ? path : "/dev/null", path, old.toString("utf8"), after.toString("utf8"), "", "", { context: 3 });
  // Drop the "Index:"/"===" header lines jsdiff adds; keep ---/+++ and hunks.
  return patch.split("\n").filter((line) => !/^(Index: |={10,})/.test(line)).join("\n").trimEnd();
}

function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8192).includes(0);
}
