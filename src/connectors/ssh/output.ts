// Bounded collection of a command's output stream (shared by the ssh and local connectors).

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Collects chunks up to `limit` bytes; `push` returns false (and keeps nothing more) once the limit is exceeded. */
export class OutputCollector {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #overflowed = false;

  constructor(
    private readonly limit: number,
    private readonly onChunk?: (chunk: Buffer) => void,
  ) {}

  push(chunk: Buffer): boolean {
    if (this.#overflowed) return false;
    if (this.#size + chunk.length > this.limit) {
      this.#overflowed = true;
      return false;
    }
    this.#size += chunk.length;
    this.#chunks.push(chunk);
    this.onChunk?.(chunk);
    return true;
  }

  get size(): number {
    return this.#size;
  }

  get bytes(): Buffer {
    return this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#size);
  }
}

/** Validate ExecOptions.maxOutputBytes / timeoutMs at the edge, naming the option. */
export function checkExecOptions(options: { maxOutputBytes?: number; timeoutMs?: number }): void {
  const { maxOutputBytes, timeoutMs } = options;
  if (maxOutputBytes !== undefined && !(Number.isFinite(maxOutputBytes) && maxOutputBytes >= 0)) {
    throw new RangeError(`exec: maxOutputBytes must be a non-negative number of bytes, got ${maxOutputBytes}`);
  }
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new RangeError(`exec: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  }
}

/** Node-style signal name ("SIGTERM") from what sshd reports ("TERM"). */
export function signalName(name: string): string {
  return name.startsWith("SIG") ? name : `SIG${name}`;
}
