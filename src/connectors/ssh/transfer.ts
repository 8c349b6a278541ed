// File transfer: SFTP when the host offers it, else a streamed `cat` over an exec channel (both stream, neither buffers).
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { SFTPWrapper } from "ssh2";
import { command, quote } from "../../shell.js";

/** Upload sources: a Buffer or string is the file's CONTENT; for a local file pass `fromFile(path)` (a Readable). */
export type UploadSource = Buffer | string | Readable;

export function toReadable(source: UploadSource): Readable {
  return source instanceof Readable ? source : Readable.from([Buffer.isBuffer(source) ? source : Buffer.from(source, "utf8")]);
}

/**
 * Write `source` to `remotePath` over SFTP. With a mode, the file is made 0600 before any byte is written and
 * given its mode afterwards, so secret content is never readable by others, even when replacing a 0644 file.
 * Without a mode, an existing file keeps its mode and a new one gets the server's default (0666 & ~umask).
 */
export async function sftpUpload(sftp: SFTPWrapper, source: UploadSource, remotePath: string, mode?: number): Promise<void> {
  const session = watchSession(sftp);
  try {
    const handle = await session.race(
      new Promise<Buffer>((resolve, reject) =>
        sftp.open(remotePath, "w", mode === undefined ? {} : { mode: 0o600 }, (error, opened) => (error ? reject(error) : resolve(opened))),
      ),
    );
    try {
      if (mode !== undefined) await session.race(call((done) => sftp.fchmod(handle, 0o600, done)));
      const sink = sftp.createWriteStream(remotePath, { handle, autoClose: false });
      // Pending SFTP writes never call back when the session dies; the abort tears the pipeline down instead.
      await session.race(pipeline(toReadable(source), sink, { signal: session.signal }));
      if (mode !== undefined) await session.race(call((done) => sftp.fchmod(handle, mode, done)));
    } catch (error) {
      await session.race(call((done) => sftp.close(handle, done))).catch(() => undefined);
      throw error;
    }
    // A close error (e.g. a deferred write failure) means the file is not what we sent.
    await session.race(call((done) => sftp.close(handle, done)));
  } finally {
    session.stop();
  }
}

export async function sftpDownload(sftp: SFTPWrapper, remotePath: string): Promise<Buffer> {
  const session = watchSession(sftp);
  try {
    return await session.race(new Promise<Buffer>((resolve, reject) => sftp.readFile(remotePath, (error, data) => (error ? reject(error) : resolve(data)))));
  } finally {
    session.stop();
  }
}

/** Fail fast, and abort streams, when the SFTP channel closes under a transfer (connection lost, subsystem died). */
function watchSession(sftp: SFTPWrapper) {
  const controller = new AbortController();
  let onClose: () => void = () => undefined;
  const closed = new Promise<never>((_, reject) => {
    onClose = () => {
      const error = new Error("the SFTP session closed during the transfer");
      controller.abort(error);
      reject(error);
    };
    sftp.once("close", onClose);
  });
  closed.catch(() => undefined);
  return {
    signal: controller.signal,
    race: <T>(work: Promise<T>): Promise<T> => Promise.race([work, closed]),
    stop: () => sftp.off("close", onClose),
  };
}

/** The same promise as sftpUpload, as a shell command reading the content from stdin. */
export function catUploadCommand(remotePath: string, mode?: number): string {
  const target = quote(remotePath);
  if (mode === undefined) return `cat > ${target}`;
  return `umask 077 && : > ${target} && chmod 600 ${target} && cat > ${target} && chmod ${modeText(mode)} ${target}`;
}

export function catDownloadCommand(remotePath: string): string {
  return command("cat", "--", remotePath);
}

/** "Unable to start subsystem: sftp" and friends: the host has no SFTP server, so fall back to cat. */
export function isSftpUnavailable(error: unknown): boolean {
  return /subsystem/i.test((error as Error)?.message ?? "");
}

function modeText(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

function call(run: (done: (error?: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => run((error) => (error ? reject(error) : resolve())));
}
