// sudo wrapping: run a command as another user, answering sudo's password prompt on stdin, never in argv.
import { randomHex } from "../../random.js";
import { command } from "../../shell.js";

export interface SudoOptions {
  /** Target user (default root). */
  user?: string;
  /** Asks for the sudo password; called at most once per run when the connectors share a SecretCache. */
  password?: () => Promise<string>;
}

export interface SudoMarkers {
  /** Passed to `sudo -p`: sudo prints it on stderr when it wants the password. */
  prompt: string;
  /** Printed on stderr by the wrapper once sudo has let the command start: stdin from then on is the command's. */
  ready: string;
}

export function newSudoMarkers(): SudoMarkers {
  const id = randomHex(12);
  return { prompt: `pine-sudo-password-${id}:`, ready: `pine-sudo-ready-${id}` };
}

/**
 * `sudo -H -S -p PROMPT -u USER -- sh -c 'echo READY >&2 && exec sh -c "$1"' pine-sudo CMD`.
 * The ready marker lets the caller hold back stdin data until sudo has consumed (or not needed) the password line,
 * so data never reaches sudo and the password never reaches the command.
 */
export function wrapWithSudo(cmd: string, user: string, markers: SudoMarkers): string {
  return command("sudo", "-H", "-S", "-p", markers.prompt, "-u", user, "--", "sh", "-c", `echo ${markers.ready} >&2 && exec sh -c "$1"`, "pine-sudo", cmd);
}

const MAX_PENDING = 64 * 1024;

export type SudoGateEvent =
  | { kind: "password" }
  | { kind: "ready" }
  /** sudo asked a second time: the password was wrong. */
  | { kind: "rejected" };

/**
 * Watches stderr until the ready marker: strips the markers, reports prompts, and releases the stderr text sudo printed
 * before the command started (e.g. "Sorry, try again.") into the normal stream.
 */
export class SudoStderrGate {
  #pending = "";
  #open = false;
  #prompts = 0;

  constructor(private readonly markers: SudoMarkers) {}

  get open(): boolean {
    return this.#open;
  }

  /** Feed a stderr chunk; returns the bytes to pass on as the command's stderr and the events seen. */
  feed(chunk: Buffer): { pass: Buffer; events: SudoGateEvent[] } {
    if (this.#open) return { pass: chunk, events: [] };
    this.#pending += chunk.toString("latin1");
    // sudo says little before the command starts; a flood means something else is talking: stop holding it back.
    if (this.#pending.length > MAX_PENDING) {
      this.#open = true;
      return { pass: this.flush(), events: [{ kind: "ready" }] };
    }
    const events: SudoGateEvent[] = [];
    for (;;) {
      const promptAt = this.#pending.indexOf(this.markers.prompt);
      const readyAt = this.#pending.indexOf(`${this.markers.ready}\n`);
      if (promptAt !== -1 && (readyAt === -1 || promptAt < readyAt)) {
        this.#pending = this.#pending.slice(0, promptAt) + this.#pending.slice(promptAt + this.markers.prompt.length);
        this.#prompts += 1;
        events.push({ kind: this.#prompts === 1 ? "password" : "rejected" });
        continue;
      }
      if (readyAt !== -1) {
        this.#pending = this.#pending.slice(0, readyAt) + this.#pending.slice(readyAt + this.markers.ready.length + 1);
        this.#open = true;
        events.push({ kind: "ready" });
        const pass = Buffer.from(this.#pending, "latin1");
        this.#pending = "";
        return { pass, events };
      }
      return { pass: Buffer.alloc(0), events };
    }
  }

  /** What is still held back (the channel closed before the command started), markers removed. */
  flush(): Buffer {
    const rest = Buffer.from(this.#pending, "latin1");
    this.#pending = "";
    return rest;
  }
}
