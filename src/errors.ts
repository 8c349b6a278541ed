// Errors that carry what a user needs: which host, which step, which command, exit code, stderr, what to do next.

export interface PineErrorDetails {
  host?: string;
  step?: string;
  command?: string;
  exitCode?: number | null;
  stderr?: string;
  hint?: string;
  cause?: unknown;
}

/** Marks pine's errors, so one thrown by another copy of this module still counts as one (see hasInstance). */
const PINE_ERROR = Symbol.for("pine.error");

export class PineError extends Error {
  /**
   * A user's deploy file may run another copy of these classes (a CommonJS .ts deploy, which tsx's require hook
   * compiles pine into again, or a project's own node_modules/pine): the errors its operations throw must still be
   * recognised (with their step, command and stderr), not wrapped as "threw".
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== "object" || value === null || !(PINE_ERROR in value)) return false;
    for (let proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null; proto; proto = Object.getPrototypeOf(proto) as typeof proto) {
      if (proto.constructor?.name === this.name) return true;
    }
    return false;
  }

  readonly host?: string;
  readonly step?: string;
  readonly command?: string;
  readonly exitCode?: number | null;
  readonly stderr?: string;
  readonly hint?: string;

  constructor(message: string, details: PineErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "PineError";
    Object.defineProperty(this, PINE_ERROR, { value: true });
    this.host = details.host;
    this.step = details.step;
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.stderr = details.stderr;
    this.hint = details.hint;
  }

  /** A multi-line message for people: what failed, where, the command, its exit code and stderr, and what to try. */
  describe(): string {
    const lines = [this.host ? `${this.host}: ${this.message}` : this.message];
    if (this.step) lines.push(`  step: ${this.step}`);
    if (this.command) lines.push(`  command: ${truncate(this.command, 400)}`);
    if (this.exitCode !== undefined) lines.push(`  exit code: ${this.exitCode ?? "none (killed or connection lost)"}`);
    const err = this.stderr?.trim();
    if (err) lines.push(`  stderr: ${truncate(err, 2000).replace(/\n/g, "\n          ")}`);
    if (this.hint) lines.push(`  hint: ${this.hint}`);
    return lines.join("\n");
  }
}

/** Bad command line or input files: exit code 2, no stack trace. */
export class UsageError extends PineError {
  constructor(message: string, details: PineErrorDetails = {}) {
    super(message, details);
    this.name = "UsageError";
  }
}

/** A command that ran and exited non-zero. */
export class CommandError extends PineError {
  constructor(message: string, details: PineErrorDetails) {
    super(message, details);
    this.name = "CommandError";
  }
}

/** The host could not be reached or authenticated. */
export class ConnectError extends PineError {
  constructor(message: string, details: PineErrorDetails = {}) {
    super(message, details);
    this.name = "ConnectError";
  }
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

export function errorMessage(error: unknown): string {
  if (error instanceof PineError) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}
