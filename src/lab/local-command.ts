// Runs one program on the controller with a deadline, failing with the command, exit code and stderr.
import { execFile } from "node:child_process";
import { CommandError, PineError } from "../errors.js";
import { command } from "../shell.js";

export interface LocalResult {
  stdout: string;
  stderr: string;
}

export interface LocalOptions {
  /** Kill the program after this long (default 10 s). */
  timeoutMs?: number;
  /** What the command is for, shown in errors (e.g. "create namespace pine-a-1"). */
  step?: string;
  input?: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export function runLocal(program: string, args: readonly string[], options: LocalOptions = {}): Promise<LocalResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const line = command(program, ...args);
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      args,
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
          return reject(new PineError(`${program} not found`, { step: options.step, command: line, cause: error }));
        }
        const timedOut = error.killed === true && error.signal === "SIGKILL";
        const exitCode = typeof code === "number" ? code : null;
        const what = timedOut ? `timed out after ${timeoutMs} ms` : `failed with exit code ${exitCode ?? error.signal}`;
        reject(
          new CommandError(`${program} ${what}`, { step: options.step, command: line, exitCode, stderr, cause: error }),
        );
      },
    );
    // A program may exit without reading its input; that is its answer, not a crash of ours.
    child.stdin?.on("error", () => undefined);
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Like runLocal, but a failure is an answer (false), not an error: for probes and best-effort cleanup. */
export async function succeeds(program: string, args: readonly string[], options: LocalOptions = {}): Promise<boolean> {
  try {
    await runLocal(program, args, options);
    return true;
  } catch {
    return false;
  }
}
