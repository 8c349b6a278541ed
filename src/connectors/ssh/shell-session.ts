// One long-lived `sh` per SSH connection that runs pine's short commands (fact scripts, operation steps) one after
// another over a single exec channel. An exec channel per command costs a channel open and close, an sshd session and
// a login shell on the host (~0.85 ms of the host's CPU each at N=250, bench/RESULTS.md); through the session a command
// costs one write and the fork of a subshell. Streams, reboots and other commands that must own a channel keep using
// exec channels (SshConnector decides).
import { newMarker, randomHex } from "../../random.js";
import type { ClientChannel } from "ssh2";
import { CommandError, ConnectError, PineError } from "../../errors.js";
import type { ExecOptions, ExecResult } from "../types.js";
import { openExecChannel } from "./channel.js";
import type { ChannelContext } from "./exec.js";
import { DEFAULT_MAX_OUTPUT_BYTES, OutputCollector, signalName } from "./output.js";
import { killCommand } from "./remote-kill.js";
import { FrameReader, frameCommand, frameMarkers } from "./session-frame.js";
import { SudoStderrGate, newSudoMarkers, wrapWithSudo } from "./sudo.js";

/** Output between commands (banners, late background output) kept only this far back, to find a marker split across chunks. */
const NOISE_TAIL_BYTES = 256;

export interface SessionSlot {
  /** Take one of the connection's channel slots for the session's lifetime; resolves with its release. */
  acquire(): Promise<() => void>;
  /** Count an opened exec channel. */
  opened(): void;
}

interface Running {
  command: string;
  out: FrameReader;
  err: FrameReader;
  stdout: OutputCollector;
  stderr: OutputCollector;
  resolve(result: ExecResult): void;
  reject(error: Error): void;
  cleanup(): void;
}

export class ShellSession {
  readonly #ctx: ChannelContext;
  readonly #slot: SessionSlot;
  readonly #marker = newMarker();
  readonly #tagPrefix = randomHex(6);
  #seq = 0;
  #opening: Promise<ClientChannel> | undefined;
  #channel: ClientChannel | undefined;
  #dead = false;
  #running: Running | undefined;
  /** Output that arrived while no command was reading that stream (a marker may start in it). */
  #tails: Record<"out" | "err", Buffer> = { out: Buffer.alloc(0), err: Buffer.alloc(0) };
  #exit: { code: number | null; signal?: string } | undefined;

  readonly #shell: string;

  /** `shell`: the command the login shell runs to become the session's shell (default `exec sh`). */
  constructor(ctx: ChannelContext, slot: SessionSlot, shell = "exec sh") {
    this.#ctx = ctx;
    this.#slot = slot;
    this.#shell = shell;
  }

  /** Open the session now (its login shell runs now), rather than with its first command. */
  async start(): Promise<void> {
    await this.#ensureOpen();
  }

  /** A command is running: the caller should use an exec channel rather than wait. */
  get busy(): boolean {
    return this.#running !== undefined;
  }

  /** The session's shell is gone (closed, failed, or stopped after a timeout): open a new session. */
  get dead(): boolean {
    return this.#dead;
  }

  /** Run one command; resolves for any exit status, rejects on timeout, abort, output cap and lost connection. */
  run(command: string, options: ExecOptions & { stdin?: Buffer }): Promise<ExecResult> {
    if (this.#running) return Promise.reject(new Error("ShellSession.run: a command is already running"));
    if (this.#dead) return Promise.reject(new Error("ShellSession.run: the session is closed"));
    const seq = ++this.#seq;
    const tag = `${this.#tagPrefix}${seq}`;
    const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const markers = frameMarkers(this.#marker, seq);
    const stdout = new OutputCollector(maxBytes, options.onStdout);
    const stderr = new OutputCollector(maxBytes, options.onStderr);

    return new Promise<ExecResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const overflow = (name: string) => (): void =>
        this.#fail(running, `${name} exceeded ${maxBytes} bytes; the command was stopped`, "raise maxOutputBytes, or stream the data to a file on the host instead", tag);
      const running: Running = {
        command,
        stdout,
        stderr,
        out: new FrameReader(markers, (chunk) => stdout.push(chunk) || (overflow("stdout")(), false)),
        err: new FrameReader(markers, (chunk) => stderr.push(chunk) || (overflow("stderr")(), false)),
        resolve,
        reject,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          options.signal?.removeEventListener("abort", onAbort);
        },
      };
      const onAbort = (): void => this.#fail(running, "command aborted", "the caller cancelled it (Ctrl-C or a failed sibling step)", tag, options.signal?.reason);
      if (options.signal?.aborted) return reject(commandError(this.#ctx, command, "command aborted", "the caller cancelled it (Ctrl-C or a failed sibling step)", "", options.signal.reason));
      this.#running = running;
      this.#ensureOpen().then(
        (channel) => {
          if (this.#running !== running) return;
          options.signal?.addEventListener("abort", onAbort, { once: true });
          if (options.timeoutMs !== undefined) {
            const ms = options.timeoutMs;
            timer = setTimeout(() => this.#fail(running, `command timed out after ${ms} ms`, "raise timeoutMs if the command is legitimately slow", tag), ms);
          }
          channel.write(frameCommand(this.#marker, seq, command, `PINE_EXEC_ID=${tag}; export PINE_EXEC_ID`, options.stdin, options.sessionSafe === true), "latin1");
          // What arrived before this command was written cannot hold its markers, but feeding it keeps one code path.
          const { out, err } = this.#tails;
          this.#tails = { out: Buffer.alloc(0), err: Buffer.alloc(0) };
          if (out.length > 0) this.#onOutput("out", out);
          if (err.length > 0) this.#onOutput("err", err);
        },
        (error: Error) => {
          if (this.#running !== running) return;
          this.#running = undefined;
          reject(error);
        },
      );
    });
  }

  /** End the shell (it exits at EOF on stdin) and release the channel. */
  close(): void {
    this.#dead = true;
    this.#channel?.end();
  }

  #ensureOpen(): Promise<ClientChannel> {
    this.#opening ??= this.#open();
    return this.#opening;
  }

  async #open(): Promise<ClientChannel> {
    const release = await this.#slot.acquire();
    const sudo = this.#ctx.sudo;
    const sudoMarkers = sudo ? newSudoMarkers() : undefined;
    const gate = sudoMarkers ? new SudoStderrGate(sudoMarkers) : undefined;
    const line = sudo && sudoMarkers ? wrapWithSudo(this.#shell, sudo.user, sudoMarkers) : this.#shell;
    return new Promise<ClientChannel>((resolve, reject) => {
      let ready = false;
      const opened = (error: Error | undefined, channel?: ClientChannel): void => {
        if (error || !channel) {
          release();
          this.#dead = true;
          const down = this.#ctx.lostReason();
          return reject(down ? lostError(this.#ctx, "opening a shell session", down) : new PineError(`could not open a shell session: ${error?.message}`, { host: this.#ctx.label, step: "exec", cause: error }));
        }
        this.#slot.opened();
        this.#channel = channel;
        const becomeReady = (): void => {
          if (ready) return;
          ready = true;
          resolve(channel);
        };
        channel.on("data", (chunk: Buffer) => this.#onStdout(chunk));
        channel.stderr.on("data", (chunk: Buffer) => {
          if (!gate || gate.open) return this.#onStderr(chunk);
          const { pass, events } = gate.feed(chunk);
          for (const event of events) {
            if (event.kind === "password") void this.#answerSudo(channel, reject);
            else if (event.kind === "rejected") {
              reject(new CommandError("sudo rejected the password", { host: this.#ctx.label, step: "sudo", exitCode: null, hint: `check the sudo password for ${sudo?.user ?? "root"}` }));
              this.close();
            } else becomeReady();
          }
          if (pass.length > 0) this.#onStderr(pass);
        });
        channel.on("exit", (code: number | null, signal?: string) => {
          this.#exit = { code: typeof code === "number" ? code : null, ...(signal ? { signal: signalName(signal) } : {}) };
        });
        channel.on("error", () => undefined);
        channel.on("close", () => {
          release();
          this.#dead = true;
          // ssh2 emits the client's 'close' before its channels'; wait a turn so a dead connection is visible.
          setImmediate(() => {
            const down = this.#ctx.lostReason();
            if (!ready) {
              ready = true;
              reject(down ? lostError(this.#ctx, "opening a shell session", down) : new PineError(`the host's shell session ended before it started${this.#exitText()}`, { host: this.#ctx.label, step: "exec", hint: "check that the login user's shell can run `exec sh`" }));
            }
            this.#ended(down);
          });
        });
        if (!gate) becomeReady();
      };
      openExecChannel(this.#ctx, line, opened);
    });
  }

  async #answerSudo(channel: ClientChannel, reject: (error: Error) => void): Promise<void> {
    const ask = this.#ctx.sudo?.password;
    if (!ask) {
      reject(new CommandError("sudo asked for a password and none was configured", { host: this.#ctx.label, step: "sudo", exitCode: null, hint: "pass --sudo-password (asked once for all hosts) or allow NOPASSWD for this user" }));
      return this.close();
    }
    try {
      const secret = await ask();
      if (!this.#dead) channel.write(`${secret}\n`);
    } catch (error) {
      reject(new CommandError("could not get the sudo password", { host: this.#ctx.label, step: "sudo", exitCode: null, hint: "the password prompt failed or was cancelled", cause: error }));
      this.close();
    }
  }

  #onStdout(chunk: Buffer): void {
    this.#onOutput("out", chunk);
  }

  #onStderr(chunk: Buffer): void {
    this.#onOutput("err", chunk);
  }

  /** Bytes of one stream go to the running command's reader; between commands only a short tail is kept. */
  #onOutput(stream: "out" | "err", chunk: Buffer): void {
    const running = this.#running;
    const reader = running?.[stream];
    if (!running || !reader || reader.done) {
      this.#tails[stream] = keepTail(this.#tails[stream], chunk);
      return;
    }
    const rest = reader.feed(chunk);
    if (rest !== undefined) {
      this.#tails[stream] = keepTail(Buffer.alloc(0), rest);
      this.#settle(running);
    }
  }

  #settle(running: Running): void {
    if (this.#running !== running || !running.out.done || !running.err.done) return;
    this.#running = undefined;
    running.cleanup();
    const stdoutBytes = running.stdout.bytes;
    running.resolve({ stdout: stdoutBytes.toString("utf8"), stderr: running.stderr.bytes.toString("utf8"), exitCode: running.out.code, stdoutBytes });
  }

  /** Stop the running command: kill its processes by their tag, drop the session (its state is unknown now), reject. */
  #fail(running: Running, message: string, hint: string, tag: string, cause?: unknown): void {
    if (this.#running !== running) return;
    this.#running = undefined;
    running.cleanup();
    openExecChannel(this.#ctx, this.#wrap(killCommand(tag)), (error, killer) => {
      if (error || !killer) return;
      killer.resume();
      killer.stderr.resume();
      killer.end();
    });
    this.#channel?.close();
    this.#dead = true;
    running.reject(commandError(this.#ctx, running.command, message, hint, running.stderr.bytes.toString("utf8"), cause));
  }

  #wrap(line: string): string {
    const sudo = this.#ctx.sudo;
    return sudo ? wrapWithSudo(line, sudo.user, newSudoMarkers()) : line;
  }

  /** The shell is gone. A running command either lost its connection, or ended the shell itself (`kill $$`). */
  #ended(down: Error | null): void {
    const running = this.#running;
    if (!running) return;
    this.#running = undefined;
    running.cleanup();
    if (down) return running.reject(lostError(this.#ctx, "running a command", down, running.command));
    const stdoutBytes = running.stdout.bytes;
    running.resolve({
      stdout: stdoutBytes.toString("utf8"),
      stderr: running.stderr.bytes.toString("utf8"),
      exitCode: this.#exit?.signal ? null : (this.#exit?.code ?? null),
      ...(this.#exit?.signal ? { signal: this.#exit.signal } : {}),
      stdoutBytes,
    });
  }

  #exitText(): string {
    if (!this.#exit) return "";
    return this.#exit.signal ? ` (killed by ${this.#exit.signal})` : ` (exit ${this.#exit.code ?? "unknown"})`;
  }
}

function keepTail(previous: Buffer, chunk: Buffer): Buffer {
  const joined = previous.length > 0 ? Buffer.concat([previous, chunk]) : chunk;
  return Buffer.from(joined.subarray(Math.max(0, joined.length - NOISE_TAIL_BYTES)));
}

function commandError(ctx: ChannelContext, command: string, message: string, hint: string, stderr: string, cause?: unknown): CommandError {
  return new CommandError(message, { host: ctx.label, step: "exec", command, exitCode: null, stderr, hint, ...(cause === undefined ? {} : { cause }) });
}

function lostError(ctx: ChannelContext, what: string, cause: Error, command?: string): ConnectError {
  return new ConnectError(`connection lost while ${what}: ${cause.message}`, {
    host: ctx.label,
    step: "exec",
    ...(command === undefined ? {} : { command }),
    cause,
    hint: "the host went away (reboot, network cut, sshd killed); the command may or may not have finished there",
  });
}
