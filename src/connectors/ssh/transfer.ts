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
  const handle = await new Promise<Buffer>((resolve, reject) =>
    sftp.open(remotePath, "w", mode === undefined ? {} : { mode: 0o600 }, (error, opened) => (error ? reject(error) : resolve(opened))),
  );
  try {
    if (mode !== undefined) await call((done) => sftp.fchmod(handle, 0o600, done));
    const sink = sftp.createWriteStream(remotePath, { handle, autoClose: false });
    await pipeline(toReadable(source), sink);
    if (mode !== undefined) await call((done) => sftp.fchmod(handle, mode, done));
  } catch (error) {
    await call((done) => sftp.close(handle, done)).catch(() => undefined);
    throw error;
  }
  // A close error (e.g. a deferred write failure) means the file is not what we sent.
  await call((done) => sftp.close(handle, done));
}

export function sftpDownload(sftp: SFTPWrapper, remotePath: string): Promise<Buffer> {
  return new Promise((resolve, reject) => sftp.readFile(remotePath, (error, data) => (error ? reject(error) : resolve(data))));
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
