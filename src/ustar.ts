// A minimal POSIX ustar writer for a few small files and directories: how install hands configuration
// (including private host keys) to a host over stdin — never in a command line — for busybox `tar -x`.

export interface TarEntry {
  /** Relative path inside the archive, at most 100 bytes (ustar name field; longer names are refused). */
  path: string;
  type: "file" | "directory";
  /** Permission bits, e.g. 0o600. */
  mode: number;
  content?: string | Buffer;
  uid?: number;
  gid?: number;
}

const BLOCK = 512;

function octalField(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, "0")}\0`;
}

function header(entry: TarEntry, size: number, mtime: number): Buffer {
  const name = entry.type === "directory" && !entry.path.endsWith("/") ? `${entry.path}/` : entry.path;
  if (Buffer.byteLength(name) > 100) throw new RangeError(`tar path too long for ustar: ${name}`);
  if (name.startsWith("/") || name.split("/").includes("..")) throw new RangeError(`tar path must be relative and stay inside: ${name}`);
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, "utf8");
  h.write(octalField(entry.mode & 0o7777, 8), 100, "ascii");
  h.write(octalField(entry.uid ?? 0, 8), 108, "ascii");
  h.write(octalField(entry.gid ?? 0, 8), 116, "ascii");
  h.write(octalField(size, 12), 124, "ascii");
  h.write(octalField(mtime, 12), 136, "ascii");
  h.write("        ", 148, "ascii"); // checksum is computed with this field as spaces
  h.write(entry.type === "directory" ? "5" : "0", 156, "ascii");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  h.write("root", 265, "ascii");
  h.write("root", 297, "ascii");
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return h;
}

export function ustar(entries: readonly TarEntry[], mtime = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.type === "file" ? Buffer.from(entry.content ?? "") : Buffer.alloc(0);
    parts.push(header(entry, body.length, mtime), body);
    const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}
