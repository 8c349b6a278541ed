// Login noise: a host's shell startup files (Debian's bash reads ~/.bashrc even for the commands sshd runs) may print
// on stdout and stderr before every command, without a final newline. Each command therefore prints a random marker
// line on both streams first; what comes before it is the login's, not the command's, and is dropped. Without this,
// output parsed by operations (losetup's device name, the boot id server.reboot polls) read the noise instead.
import { randomHex } from "../../random.js";

/** Noise beyond this before the marker: give up looking and pass everything through (nothing the host said is lost). */
const MAX_NOISE_BYTES = 1024 * 1024;

export function newNoiseMarker(): string {
  return `PINE_OUTPUT_BEGINS_${randomHex(12)}`;
}

/** `command`, preceded by the marker line on stdout and on stderr (POSIX sh; printf is a builtin everywhere). */
export function markOutputStart(command: string, marker: string): string {
  return `printf '%s\\n' ${marker}; printf '%s\\n' ${marker} >&2; ${command}`;
}

/** Holds one stream back until the marker line, then passes the rest through untouched. */
export class NoiseGate {
  readonly #marker: Buffer;
  #pending: Buffer = Buffer.alloc(0);
  #open = false;

  constructor(marker: string) {
    this.#marker = Buffer.from(`${marker}\n`);
  }

  /** A chunk of the stream; returns the bytes that are the command's (empty while still before the marker). */
  feed(chunk: Buffer): Buffer {
    if (this.#open) return chunk;
    this.#pending = Buffer.concat([this.#pending, chunk]);
    const at = this.#pending.indexOf(this.#marker);
    if (at !== -1) return this.release(at + this.#marker.length);
    return this.#pending.length > MAX_NOISE_BYTES ? this.release(0) : Buffer.alloc(0);
  }

  /**
   * The stream ended: without a marker (the login shell failed before the command started, e.g. a nologin account)
   * everything it said is the message, so it is passed through.
   */
  flush(): Buffer {
    return this.#open ? Buffer.alloc(0) : this.release(0);
  }

  private release(from: number): Buffer {
    this.#open = true;
    const rest = this.#pending.subarray(from);
    this.#pending = Buffer.alloc(0);
    return rest;
  }
}
