// Reading one member out of a tar stream on the controller (ustar, GNU long names, pax paths), so a release tarball
// held locally can be checked — its image's size and sha256 — before a byte of it goes to a host.
import { Writable } from "node:stream";

const BLOCK = 512;

/** A tar stream consumer that hands the named member's bytes to `onData` and notes whether it was found. */
export class TarMember extends Writable {
  found = false;
  private pending = Buffer.alloc(0);
  /** Bytes left in the current entry's data, then its padding to a 512-byte block. */
  private dataLeft = 0;
  private padLeft = 0;
  private entry: "member" | "longname" | "pax" | "skip" = "skip";
  private longName: string | null = null;
  private paxPath: string | null = null;
  private meta: Buffer[] = [];
  private ended = false;

  constructor(
    private readonly name: string,
    private readonly onData: (chunk: Buffer) => void,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    try {
      this.feed(chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  private feed(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length > 0 && !this.ended) {
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, buf.length);
        this.take(buf.subarray(0, n));
        this.dataLeft -= n;
        buf = buf.subarray(n);
        if (this.dataLeft === 0) this.finishEntry();
        continue;
      }
      if (this.padLeft > 0) {
        const n = Math.min(this.padLeft, buf.length);
        this.padLeft -= n;
        buf = buf.subarray(n);
        continue;
      }
      if (buf.length < BLOCK) break;
      this.header(buf.subarray(0, BLOCK));
      buf = buf.subarray(BLOCK);
    }
    this.pending = this.ended ? Buffer.alloc(0) : Buffer.from(buf);
  }

  private take(data: Buffer): void {
    if (this.entry === "member") this.onData(data);
    else if (this.entry === "longname" || this.entry === "pax") this.meta.push(Buffer.from(data));
  }

  private finishEntry(): void {
    const meta = Buffer.concat(this.meta).toString("utf8");
    if (this.entry === "longname") this.longName = meta.replace(/\0.*$/s, "");
    if (this.entry === "pax") this.paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(meta)?.[1] ?? this.paxPath;
    if (this.entry === "member") this.found = true;
    this.meta = [];
  }

  private header(h: Buffer): void {
    if (h.every((b) => b === 0)) {
      this.ended = true; // end of archive
      return;
    }
    if (!checksumOk(h)) throw new Error("not a tar archive (a header's checksum does not match)");
    const size = entrySize(h.subarray(124, 136));
    const type = String.fromCharCode(h[156] || 0x30);
    const field = (from: number, len: number) => h.subarray(from, from + len).toString("utf8").replace(/\0.*$/s, "");
    const prefix = field(257, 6).startsWith("ustar") ? field(345, 155) : "";
    let name = this.paxPath ?? this.longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    if (type === "L") this.entry = "longname";
    else if (type === "x") this.entry = "pax";
    else {
      name = name.replace(/^(\.\/)+/, "");
      this.entry = !this.found && (type === "0" || type === "\0") && name === this.name ? "member" : "skip";
      this.longName = null;
      this.paxPath = null;
    }
    this.dataLeft = size;
    this.padLeft = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.finishEntry();
  }
}

/** The size field: octal text, or base-256 (high bit set) for sizes past 8 GiB. */
function entrySize(field: Buffer): number {
  if (field[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = field.toString("ascii").replace(/\0.*$/s, "").trim();
  if (!/^[0-7]*$/.test(text)) throw new Error(`not a tar archive (bad size field ${JSON.stringify(text)})`);
  return text === "" ? 0 : parseInt(text, 8);
}

/** The header checksum: the sum of its bytes with the checksum field counted as spaces. */
function checksumOk(h: Buffer): boolean {
  const stored = parseInt(h.subarray(148, 156).toString("ascii").replace(/\0.*$/s, "").trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return stored === sum;
}
