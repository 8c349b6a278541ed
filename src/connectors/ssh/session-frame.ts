// The wire format of a shell session: each command goes to one long-lived `sh` as a framed script, and its output
// comes back between markers on stdout and stderr, followed by its exit code. Pure functions, so they are unit-tested
// against dash, busybox ash and bash without SSH.
import { printfLiteral, quote } from "../../shell.js";

/** Bytes of stdin a session command may carry; more goes over an exec channel of its own. */
export const SESSION_MAX_STDIN_BYTES = 256 * 1024;

export interface FrameMarkers {
  begin: Buffer;
  end: Buffer;
}

/** What a session's stdout and stderr carry around command number `seq` of a session using `marker`. */
export function frameMarkers(marker: string, seq: number): FrameMarkers {
  return { begin: Buffer.from(`${marker}:B:${seq}\n`), end: Buffer.from(`\n${marker}:E:${seq}:`) };
}

/**
 * The script that runs `command` as number `seq`: begin markers on both streams, the command in a subshell (so `exit`,
 * `cd`, `set -e` or a syntax error end only the subshell, never the session), its stdin either /dev/null or `stdin`'s
 * bytes printed by the shell's own printf (byte-exact, no extra program), then the exit code after end markers on both
 * streams. `env` is exported into the subshell (the command's kill tag).
 */
export function frameCommand(marker: string, seq: number, command: string, env: string, stdin?: Buffer, safe = false): string {
  const tag = `${marker}:B:${seq}`;
  const done = `${marker}:E:${seq}`;
  // A command known to leave the shell as it was (ExecOptions.sessionSafe) runs in the session shell itself.
  const body = safe ? `{\n${env}\neval ${quote(command)}\n}` : `(\n${env}\neval ${quote(command)}\n)`;
  const run = stdin === undefined ? `${body} </dev/null` : `printf '${printfLiteral(stdin)}' | ${body}`;
  return [
    `printf '%s\\n' '${tag}'; printf '%s\\n' '${tag}' >&2`,
    run,
    `pine_rc=$?; printf '\\n%s:%s\\n' '${done}' "$pine_rc"; printf '\\n%s:%s\\n' '${done}' "$pine_rc" >&2`,
    "",
  ].join("\n");
}


/**
 * Reads one command's frame from a stream many commands share: skips bytes up to the begin marker (login banners,
 * output of earlier background processes), passes the body on, and stops at the end marker and its exit code.
 * Bytes that could be the start of a marker are held back until the next chunk decides.
 */
export class FrameReader {
  #state: "seek" | "body" | "code" | "done" = "seek";
  #held: Buffer = Buffer.alloc(0);
  #code: number | null = null;

  constructor(
    private readonly markers: FrameMarkers,
    /** Receives the body; returning false stops the reader (output cap reached). */
    private readonly sink: (chunk: Buffer) => boolean,
  ) {}

  get done(): boolean {
    return this.#state === "done";
  }

  /** The exit code printed after the end marker (null if it was not a number). */
  get code(): number | null {
    return this.#code;
  }

  /** Feed bytes; returns what follows the frame once it is complete (it belongs to whoever reads next), else undefined. */
  feed(chunk: Buffer): Buffer | undefined {
    let data = this.#held.length > 0 ? Buffer.concat([this.#held, chunk]) : chunk;
    this.#held = Buffer.alloc(0);
    for (;;) {
      if (this.#state === "done") return data;
      if (this.#state === "seek") {
        const at = data.indexOf(this.markers.begin);
        if (at < 0) {
          this.#held = Buffer.from(data.subarray(Math.max(0, data.length - (this.markers.begin.length - 1))));
          return undefined;
        }
        data = data.subarray(at + this.markers.begin.length);
        this.#state = "body";
        continue;
      }
      if (this.#state === "body") {
        const at = data.indexOf(this.markers.end);
        if (at < 0) {
          const safe = data.length - (this.markers.end.length - 1);
          if (safe > 0 && !this.sink(data.subarray(0, safe))) return this.#stop();
          this.#held = Buffer.from(data.subarray(Math.max(0, safe)));
          return undefined;
        }
        if (at > 0 && !this.sink(data.subarray(0, at))) return this.#stop();
        data = data.subarray(at + this.markers.end.length);
        this.#state = "code";
        continue;
      }
      const newline = data.indexOf(0x0a);
      if (newline < 0) {
        this.#held = Buffer.from(data);
        return undefined;
      }
      const text = data.toString("latin1", 0, newline);
      this.#code = /^\d+$/.test(text) ? Number(text) : null;
      this.#state = "done";
      data = data.subarray(newline + 1);
    }
  }

  #stop(): undefined {
    this.#held = Buffer.alloc(0);
    return undefined;
  }
}
