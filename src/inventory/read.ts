// Reading input files with a size cap, so a huge or endless file is refused instead of read whole.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { UsageError } from "../errors.js";

export const INVENTORY_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Read a UTF-8 text file of at most `maxBytes`. `what` names the file in errors ("inventory", "--limit file").
 * Reads in chunks up to the cap rather than trusting stat alone: pipes and /proc files report size 0.
 */
export function readCappedText(path: string, what: string, maxBytes: number = INVENTORY_MAX_BYTES): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${describeFsError(error)}`, {
      hint: what === "inventory" ? "pass an inventory file, or a comma-separated host list such as 10.0.0.5,10.0.0.6" : undefined,
    });
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new UsageError(`cannot read ${what} ${path}: it is a directory, not a file`);
    if (stat.size > maxBytes) throw tooBig(path, what, maxBytes, stat.size);
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.alloc(1024 * 1024);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooBig(path, what, maxBytes);
      chunks.push(Buffer.from(chunk.subarray(0, n)));
    }
    const text = Buffer.concat(chunks).toString("utf8");
    if (text.includes("\u0000")) throw new UsageError(`${what} ${path} contains NUL bytes; it looks like a binary file, not YAML text`);
    return text;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${what} ${path}: ${describeFsError(error)}`);
  } finally {
    closeSync(fd);
  }
}

function tooBig(path: string, what: string, maxBytes: number, size?: number): UsageError {
  const actual = size === undefined ? "more than that" : `${mib(size)}`;
  return new UsageError(`${what} ${path} is too large (${actual}); the limit is ${mib(maxBytes)}`);
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT": return "no such file";
    case "EACCES":
    case "EPERM": return "permission denied";
    case "EISDIR": return "it is a directory, not a file";
    case "ENOTDIR": return "a parent of it is not a directory";
    case "ELOOP": return "too many symbolic links";
    default: return error instanceof Error ? error.message : String(error);
  }
}
