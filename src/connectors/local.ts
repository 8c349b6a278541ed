// LocalConnector: the Connector contract on this machine (`/bin/sh -c`, files via fs); also `fromFile` for upload sources.
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { chmod, open, readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CommandError, PineError } from "../errors.js";
import { DEFAULT_MAX_OUTPUT_BYTES, OutputCollector, checkExecOptions } from "./ssh/output.js";
import type { Connector, ConnectorStats, ExecOptions, ExecResult, UploadOptions } from "./types.js";

/** A local file as an upload source: `upload(fromFile("disk.img"), "/dev/vda")` streams it (a plain string would be uploaded as content). */
export function fromFile(path: string): Readable {
  return createReadStream(path);
}

export interface LocalConnectorOptions {
  /** Name for messages; default "local". */
  name?: string;
}

export class LocalConnector implements Connector {
  readonly kind = "local" as const;
  readonly target: string;
  readonly stats: ConnectorStats = { execs: 0, transfers: 0, channels: 0 };

  constructor(options: LocalConnectorOptions = {}) {
    this.target = options.name ?? `local (${hostname()})`;
  }

  async connect(): Promise<void> {}

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    checkExecOptions(options);
    const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new OutputCollector(maxBytes, options.onStdout);
    const stderr = new OutputCollector(maxBytes, options.onStderr);
    return new Promise((resolve, reject) => {
      const fail = (message: string, hint: string, cause?: unknown): void => {
        if (settled) return;
        settled = true;
        cleanup();
        child.kill("SIGKILL");
        reject(new CommandError(message, { host: this.target, step: "exec", command, exitCode: null, stderr: stderr.bytes.toString("utf8"), hint, cause }));
      };
      const onAbort = (): void => fail("command aborted", "the caller cancelled it", options.signal?.reason);
      if (options.signal?.aborted) {
        reject(new CommandError("command aborted", { host: this.target, step: "exec", command, exitCode: null, cause: options.signal.reason }));
        return;
      }
      this.stats.execs += 1;
      this.stats.channels += 1;
      // detached: the command gets its own process group, so a timeout kills its children too.
      const child = spawn("/bin/sh", ["-c", command], { stdio: ["pipe", "pipe", "pipe"], detached: true });
      let settled = false;
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => fail(`command timed out after ${options.timeoutMs} ms`, "raise timeoutMs if the command is legitimately slow"), options.timeoutMs);
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        if (options.stdin instanceof Readable) options.stdin.unpipe(child.stdin);
        killGroup(child.pid);
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const take = (collector: OutputCollector, name: string) => (chunk: Buffer) => {
        if (!collector.push(chunk)) fail(`${name} exceeded ${maxBytes} bytes; the command was killed`, "raise maxOutputBytes, or write the data to a file instead");
      };
      child.stdout.on("data", take(stdout, "stdout"));
      child.stderr.on("data", take(stderr, "stderr"));
      // The command may exit without reading all its stdin; that is its business, not an error.
      child.stdin.on("error", () => undefined);
      child.on("error", (error) => fail(`could not start /bin/sh: ${error.message}`, "is /bin/sh present?", error));
      child.on("close", (code, signal) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        const stdoutBytes = stdout.bytes;
        resolve({ stdout: stdoutBytes.toString("utf8"), stderr: stderr.bytes.toString("utf8"), exitCode: code, ...(signal ? { signal } : {}), stdoutBytes });
      });
      const input = options.stdin;
      if (input === undefined) child.stdin.end();
      else if (input instanceof Readable) {
        input.once("error", (error) => fail(`reading stdin for the command failed: ${error.message}`, "check the local file or stream", error));
        input.pipe(child.stdin);
      } else child.stdin.end(input);
    });
  }

  /** Same semantics as the ssh connector: with a mode, the file is 0600 while written, then chmod'ed. */
  async upload(source: Buffer | string | Readable, path: string, options: UploadOptions = {}): Promise<void> {
    this.stats.transfers += 1;
    try {
      const file = await open(path, "w", options.mode === undefined ? 0o666 : 0o600);
      try {
        if (options.mode !== undefined) await file.chmod(0o600);
        if (source instanceof Readable) await pipeline(source, file.createWriteStream());
        else await file.writeFile(source);
      } finally {
        // The write stream closes the handle itself; closing again is harmless.
        await file.close().catch(() => undefined);
      }
      if (options.mode !== undefined) await chmod(path, options.mode);
    } catch (error) {
      throw new PineError(`upload ${path} failed: ${(error as Error).message}`, { host: this.target, step: "upload", cause: error, hint: "check the path and permissions" });
    }
  }

  async download(path: string): Promise<Buffer> {
    this.stats.transfers += 1;
    return readFile(path).catch((error: Error) => {
      throw new PineError(`download ${path} failed: ${error.message}`, { host: this.target, step: "download", cause: error, hint: "check the path and permissions" });
    });
  }

  async close(): Promise<void> {}
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
