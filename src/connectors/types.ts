// The contract every connector (ssh, local, chroot) fulfils: run commands, move files.
import type { Readable } from "node:stream";

export interface ExecOptions {
  /** Data written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer | Readable;
  /** Kill the command (and fail) after this many milliseconds, counted from when it starts (not while it waits for a free channel). */
  timeoutMs?: number;
  /** Refuse output beyond this many bytes per stream (default 64 MiB). */
  maxOutputBytes?: number;
  /** Called with each stdout chunk as it arrives (progress, streaming). */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Abort the command (closes the channel). */
  signal?: AbortSignal;
  /**
   * The command may run in the connection's long-lived shell session instead of an exec channel of its own: much
   * cheaper (no channel, sshd session or login shell per command). For commands that end by themselves and do not
   * need their own channel: stdin, if any, is a Buffer or string of at most 256 KiB; `$$` is the session shell's PID;
   * a command still running when the session is busy gets a channel anyway. The ssh connector honours it, others
   * ignore it. pine's fact batches and operation steps set it.
   */
  session?: boolean;
  /**
   * With `session`: the command is known to leave the shell as it was (no `exit`, `cd`, `set`, traps, syntax errors;
   * like pine's fact batches, whose facts run in subshells of their own), so the session runs it without the fork of
   * a subshell. Variables it assigns stay in the session shell.
   */
  sessionSafe?: boolean;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when the command died from a signal or the channel closed without one. */
  exitCode: number | null;
  /** The signal that killed the command, Node-style ("SIGTERM") for every connector. */
  signal?: string;
  /** Raw stdout bytes (for binary output). */
  stdoutBytes: Buffer;
}

export interface UploadOptions {
  mode?: number;
}

export interface ConnectorStats {
  /** exec() calls so far: exec channels (or local processes). Transfers carried over `cat` count as transfers only. */
  execs: number;
  /** File transfers (upload/download) so far. */
  transfers: number;
  /** Exec channels opened (a shell session counts once) or, for the local connector, processes started. */
  channels: number;
}

export interface Connector {
  readonly kind: "ssh" | "local" | "chroot";
  /** Human-readable target, e.g. "root@10.0.0.2:22". */
  readonly target: string;
  readonly stats: ConnectorStats;
  connect(): Promise<void>;
  /** Run one POSIX sh command line. Never throws for a non-zero exit: look at exitCode. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Write bytes to a remote path, replacing it. Not atomic: operations rename. A string is the file's CONTENT (UTF-8);
   * to send a local file, pass a stream, e.g. `fromFile(path)` from connectors/local. With `mode`, the file is 0600
   * while being written and gets `mode` at the end; without, an existing file keeps its mode.
   */
  upload(source: Buffer | string | Readable, remotePath: string, options?: UploadOptions): Promise<void>;
  /** Read a remote file's bytes. */
  download(remotePath: string): Promise<Buffer>;
  close(): Promise<void>;
}
