// One command over one exec channel: bounded output, stdin with backpressure, timeout, abort, sudo prompt answering.
import { Readable } from "node:stream";
import type { Client, ClientChannel } from "ssh2";
import { CommandError, ConnectError, PineError } from "../../errors.js";
import type { ExecOptions, ExecResult } from "../types.js";
import { DEFAULT_MAX_OUTPUT_BYTES, OutputCollector, signalName } from "./output.js";
import { openExecChannel } from "./channel.js";
import { NoiseGate, markOutputStart, newNoiseMarker } from "./login-noise.js";
import { killCommand, tagCommand } from "./remote-kill.js";
import { SudoStderrGate, newSudoMarkers, wrapWithSudo } from "./sudo.js";

export interface ChannelContext {
  client: Client;
  /** Inventory name or "root@web1:22", for errors. */
  label: string;
  /** Why the connection is gone, or null while it is up. */
  lostReason: () => Error | null;
  sudo?: { user: string; password?: () => Promise<string> };
}

/**
 * Run `command` on an exec channel. Resolves for any exit status; rejects on timeout, abort, output cap, lost connection.
 * `release` is called once the channel is really closed on both ends (or never opened): only then is the server's
 * MaxSessions slot free again.
 */
export function execOnChannel(ctx: ChannelContext, command: string, options: ExecOptions, release: () => void): Promise<ExecResult> {
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const stdout = new OutputCollector(maxBytes, options.onStdout);
  const stderr = new OutputCollector(maxBytes, options.onStderr);
  const markers = ctx.sudo ? newSudoMarkers() : undefined;
  const gate = markers ? new SudoStderrGate(markers) : undefined;
  const tagged = tagCommand(command);
  const wrap = (line: string): string => (ctx.sudo && markers ? wrapWithSudo(line, ctx.sudo.user, markers) : line);
  // Printed by the login shell before sudo starts: login noise comes before it, sudo's prompt after.
  const noise = newNoiseMarker();
  const stdoutNoise = new NoiseGate(noise);
  const stderrNoise = new NoiseGate(noise);

  return new Promise<ExecResult>((resolve, reject) => {
    let channel: ClientChannel | undefined;
    let settled = false;
    let released = false;
    let exitCode: number | null = null;
    let exitSignal: string | undefined;
    let sawExit = false;
    let timer: NodeJS.Timeout | undefined;
    const source = options.stdin instanceof Readable ? options.stdin : undefined;

    const releaseOnce = (): void => {
      if (released) return;
      released = true;
      release();
    };
    const finish = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (source && channel) source.unpipe(channel);
      if (error) {
        if (channel && !sawExit) stopRemote(channel);
        reject(error);
        return;
      }
      const stdoutBytes = stdout.bytes;
      resolve({
        stdout: stdoutBytes.toString("utf8"),
        stderr: stderr.bytes.toString("utf8"),
        exitCode,
        ...(exitSignal ? { signal: exitSignal } : {}),
        stdoutBytes,
      });
    };
    const fail = (message: string, hint: string, cause?: unknown): void =>
      finish(
        new CommandError(message, {
          host: ctx.label,
          step: "exec",
          command,
          exitCode: null,
          stderr: stderr.bytes.toString("utf8"),
          hint,
          ...(cause === undefined ? {} : { cause }),
        }),
      );
    const onAbort = (): void => fail("command aborted", "the caller cancelled it (Ctrl-C or a failed sibling step)", options.signal?.reason);
    const lost = (cause: unknown): void =>
      finish(
        new ConnectError(`connection lost while running a command: ${(cause as Error)?.message ?? String(cause)}`, {
          host: ctx.label,
          step: "exec",
          command,
          cause,
          hint: "the host went away (reboot, network cut, sshd killed); the command may or may not have finished there",
        }),
      );
    /** Close our side, and kill the command's processes through another channel: sshd ignores signal requests for root logins. */
    const stopRemote = (open: ClientChannel): void => {
      open.close();
      openExecChannel(ctx, wrap(killCommand(tagged.id)), (error, killer) => {
        if (error || !killer) return;
        killer.resume();
        killer.stderr.resume();
        killer.end();
      });
    };

    if (options.signal?.aborted) {
      releaseOnce();
      return onAbort();
    }
    options.signal?.addEventListener("abort", onAbort, { once: true });

    openExecChannel(ctx, markOutputStart(wrap(tagged.command), noise), (error, opened) => {
      if (error || !opened) {
        releaseOnce();
        const down = ctx.lostReason();
        if (down) return lost(down);
        return finish(new PineError(`could not open an exec channel: ${error?.message}`, { host: ctx.label, step: "exec", command, cause: error }));
      }
      channel = opened;
      opened.on("close", () => {
        releaseOnce();
        onStdout(stdoutNoise.flush());
        onCommandStderr(opened, stderrNoise.flush());
        if (gate && !gate.open) onStderr(gate.flush());
        if (sawExit) return finish(null);
        // ssh2 emits the client's 'close' before closing its channels; wait a turn so a dead connection is visible.
        setImmediate(() => {
          const down = ctx.lostReason();
          if (down) lost(down);
          else finish(null);
        });
      });
      if (settled) return stopRemote(opened);
      if (options.timeoutMs !== undefined) {
        const ms = options.timeoutMs;
        timer = setTimeout(() => fail(`command timed out after ${ms} ms`, "raise timeoutMs if the command is legitimately slow"), ms);
      }
      opened.on("data", (chunk: Buffer) => onStdout(stdoutNoise.feed(chunk)));
      opened.stderr.on("data", (chunk: Buffer) => onCommandStderr(opened, stderrNoise.feed(chunk)));
      opened.on("exit", (code: number | null, signal?: string) => {
        sawExit = true;
        exitCode = typeof code === "number" ? code : null;
        if (signal) exitSignal = signalName(signal);
      });
      opened.on("error", (channelError: Error) => {
        if (!sawExit) fail(`channel error: ${channelError.message}`, "the ssh channel broke; retry", channelError);
      });
      if (!gate) writeStdin(opened);
    });

    function take(collector: OutputCollector, name: string) {
      return (chunk: Buffer): void => {
        if (settled || chunk.length === 0 || collector.push(chunk)) return;
        fail(`${name} exceeded ${maxBytes} bytes; the channel was closed`, "raise maxOutputBytes, or stream the data to a file on the host instead");
      };
    }
    const onStdout = take(stdout, "stdout");
    const onStderr = take(stderr, "stderr");

    /** stderr after the login noise: through the sudo gate (prompts, the ready marker) when there is one. */
    function onCommandStderr(target: ClientChannel, chunk: Buffer): void {
      if (chunk.length === 0) return;
      if (!gate) return onStderr(chunk);
      const { pass, events } = gate.feed(chunk);
      onStderr(pass);
      for (const event of events) {
        if (event.kind === "password") void answerSudo(target);
        else if (event.kind === "rejected") fail("sudo rejected the password", `check the sudo password for ${ctx.sudo?.user ?? "root"}`);
        else writeStdin(target);
      }
    }

    function writeStdin(target: ClientChannel): void {
      const input = options.stdin;
      if (input === undefined) return void target.end();
      if (!(input instanceof Readable)) return void target.end(input);
      input.once("error", (streamError) => fail(`reading stdin for the command failed: ${streamError.message}`, "check the local file or stream", streamError));
      input.pipe(target);
    }

    async function answerSudo(target: ClientChannel): Promise<void> {
      const ask = ctx.sudo?.password;
      if (!ask) return fail("sudo asked for a password and none was configured", "pass --sudo-password (asked once for all hosts) or allow NOPASSWD for this user");
      try {
        const secret = await ask();
        if (!settled) target.write(`${secret}\n`);
      } catch (askError) {
        fail("could not get the sudo password", "the password prompt failed or was cancelled", askError);
      }
    }
  });
}
