// SshConnector: one long-lived ssh2 connection per host, many exec channels over it, SFTP (or cat) for files.
import { join } from "node:path";
import type { Readable } from "node:stream";
import pLimit, { type LimitFunction } from "p-limit";
import type { Client, SFTPWrapper } from "ssh2";
import { CommandError, ConnectError, PineError } from "../../errors.js";
import type { Connector, ConnectorStats, ExecOptions, ExecResult, UploadOptions } from "../types.js";
import { openClients, type ConnectSettings } from "./connect.js";
import { execOnChannel, type ChannelContext } from "./exec.js";
import { expandHome } from "./ssh-config.js";
import { resolveSsh, type ResolvedSsh, type SshConnectorOptions } from "./options.js";
import { checkExecOptions } from "./output.js";
import { SESSION_MAX_STDIN_BYTES } from "./session-frame.js";
import { ShellSession, type SessionSlot } from "./shell-session.js";
import { DEFAULT_RETRY } from "./retry.js";
import { SecretCache } from "./secret-cache.js";
import { catDownloadCommand, catUploadCommand, isSftpUnavailable, sftpDownload, sftpUpload } from "./transfer.js";

export { HandshakeLimiter } from "./handshake-limiter.js";
export { SecretCache } from "./secret-cache.js";
export { KnownHostsCache } from "./known-hosts-cache.js";
export type { SshConnectorOptions } from "./options.js";
export type { HostKeyCheck } from "./host-key-check.js";
export type { SudoOptions } from "./sudo.js";
export type { RetryPolicy } from "./retry.js";
export { fromFile } from "../local.js";

/** Downloads over `cat` are held in memory; refuse files beyond this. */
const MAX_CAT_DOWNLOAD_BYTES = 1024 * 1024 * 1024;

interface Connection {
  clients: Client[];
  client: Client;
  lostReason: Error | null;
  channels: LimitFunction;
  /** The long-lived shell that runs `session` commands, opened on first use. */
  session?: ShellSession;
  /** What the login shell runs to become the session's shell on this connection (default `exec sh`). */
  sessionShell?: string;
  /** SFTP session, opened on first use; null when the host has no SFTP subsystem. */
  sftp?: Promise<SFTPWrapper | null>;
}

export class SshConnector implements Connector {
  readonly kind = "ssh" as const;
  readonly target: string;
  readonly stats: ConnectorStats = { execs: 0, transfers: 0, channels: 0 };
  readonly #options: SshConnectorOptions;
  readonly #resolved: ResolvedSsh;
  readonly #settings: ConnectSettings;
  readonly #sudo: ChannelContext["sudo"];
  #connection: Promise<Connection> | undefined;

  constructor(options: SshConnectorOptions) {
    this.#options = options;
    this.#resolved = resolveSsh(options);
    this.target = this.#resolved.target.label;
    const maxChannels = options.maxChannels ?? 8;
    if (!Number.isInteger(maxChannels) || maxChannels < 1) throw new RangeError(`ssh: maxChannels must be a positive integer, got ${maxChannels}`);
    const homeDir = this.#resolved.homeDir;
    const secrets = options.secrets ?? new SecretCache();
    const agent = options.agent === false ? undefined : (options.agent ?? process.env.SSH_AUTH_SOCK);
    this.#settings = {
      hostKeys: {
        mode: options.hostKeyCheck ?? "strict",
        knownHostsPath: expandHome(options.knownHostsPath ?? join(homeDir, ".ssh", "known_hosts"), homeDir),
        ...(options.hostKey === undefined ? {} : { pinnedKey: options.hostKey }),
        ...(options.knownHostsCache ? { cache: options.knownHostsCache } : {}),
      },
      auth: {
        secrets,
        ...(agent ? { agentSocket: agent } : {}),
        ...(options.password ? { password: options.password } : {}),
        ...(options.askSecret ? { askSecret: options.askSecret } : {}),
      },
      keepaliveInterval: options.keepaliveInterval ?? 15_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      readyTimeout: options.readyTimeout ?? 20_000,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      ...(options.handshakeLimiter ? { limiter: options.handshakeLimiter } : {}),
    };
    const sudoUser = options.sudo?.user ?? "root";
    // Logged in as the user sudo would switch to: nothing to wrap (pine OS hosts may not even have sudo).
    if (options.sudo && sudoUser !== this.#resolved.target.user) {
      const ask = options.sudo.password;
      this.#sudo = { user: sudoUser, ...(ask ? { password: () => secrets.get("sudo-password", ask) } : {}) };
    }
  }

  /** Connect (again, if a previous connection was lost). Exec and transfers connect on first use too. */
  async connect(): Promise<void> {
    await this.#ready();
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    checkExecOptions(options);
    const connection = await this.#ready();
    this.stats.execs += 1;
    const stdin = sessionStdin(options);
    if (options.session && stdin !== false) {
      if (!connection.session || connection.session.dead) connection.session = new ShellSession(this.#channelContext(connection), this.#sessionSlot(connection), connection.sessionShell);
      const session = connection.session;
      // Busy: another command of this host is running in it (operations run concurrently); that one gets a channel.
      if (!session.busy) return session.run(command, { ...options, stdin });
    }
    return this.#run(connection, command, options);
  }

  async upload(source: Buffer | string | Readable, remotePath: string, options: UploadOptions = {}): Promise<void> {
    this.stats.transfers += 1;
    const connection = await this.#ready();
    const sftp = this.#sudo ? null : await this.#sftp(connection);
    if (sftp) {
      return sftpUpload(sftp, source, remotePath, options.mode).catch((error: unknown) => {
        throw this.#transferError("upload", remotePath, connection, error);
      });
    }
    const cat = catUploadCommand(remotePath, options.mode);
    const result = await this.#run(connection, cat, { stdin: source }).catch(asStep("upload"));
    if (result.exitCode !== 0) throw commandFailed("upload", this.#resolved.name, remotePath, cat, result);
  }

  async download(remotePath: string): Promise<Buffer> {
    this.stats.transfers += 1;
    const connection = await this.#ready();
    const sftp = this.#sudo ? null : await this.#sftp(connection);
    if (sftp) {
      return sftpDownload(sftp, remotePath).catch((error: unknown) => {
        throw this.#transferError("download", remotePath, connection, error);
      });
    }
    const cat = catDownloadCommand(remotePath);
    const result = await this.#run(connection, cat, { maxOutputBytes: MAX_CAT_DOWNLOAD_BYTES }).catch(asStep("download"));
    if (result.exitCode !== 0) throw commandFailed("download", this.#resolved.name, remotePath, cat, result);
    return result.stdoutBytes;
  }

  /**
   * From the next connection on, accept only this host key (`TYPE BASE64`), and record it in known_hosts once seen.
   * Used after pine reinstalled the host with a key it generated itself: the old key is no longer valid, and no
   * other key is trusted. Call close() first (or let the current connection drop) so the next exec reconnects.
   */
  expectHostKey(key: string): void {
    this.#settings.hostKeys = { ...this.#settings.hostKeys, pinnedKey: key };
  }

  /**
   * Replace the shell session of the current connection by one whose shell is `shell` (e.g. `exec /run/x/busybox sh`),
   * started now. For a caller about to overwrite the disk the login shell and `sh` come from: once started, the
   * session needs neither again. A later connection (after a reboot) starts with the default again.
   */
  async startSessionWith(shell: string): Promise<void> {
    const connection = await this.#ready();
    connection.session?.close();
    connection.sessionShell = shell;
    connection.session = new ShellSession(this.#channelContext(connection), this.#sessionSlot(connection), shell);
    await connection.session.start();
  }

  async close(): Promise<void> {
    const pending = this.#connection;
    this.#connection = undefined;
    if (!pending) return;
    const connection = await pending.catch(() => undefined);
    if (!connection) return;
    connection.session?.close();
    await Promise.all(
      [...connection.clients].reverse().map(
        (client) =>
          new Promise<void>((resolve) => {
            if (connection.lostReason) return resolve();
            const timer = setTimeout(() => {
              client.destroy();
              resolve();
            }, 2_000);
            client.once("close", () => {
              clearTimeout(timer);
              resolve();
            });
            client.end();
          }),
      ),
    );
  }

  #ready(): Promise<Connection> {
    const current = this.#connection;
    if (!current) return this.#open();
    // Reconnect only when the previous attempt failed or its connection is known to be gone; concurrent callers share one reconnect.
    const reopen = (): Promise<Connection> => (this.#connection === current ? this.#open() : this.#ready());
    return current.then((connection) => (connection.lostReason ? reopen() : connection), reopen);
  }

  #open(): Promise<Connection> {
    const opening = openClients(this.#resolved, this.#settings).then((clients) => {
      const client = clients.at(-1)!;
      const connection: Connection = { clients, client, lostReason: null, channels: pLimit(this.#options.maxChannels ?? 8) };
      const markLost = (reason: Error) => {
        connection.lostReason ??= reason;
      };
      for (const hop of clients) {
        hop.on("error", (error: Error) => markLost(error));
        hop.on("end", () => markLost(new Error("the server closed the connection")));
        hop.on("close", () => markLost(new Error("the connection closed")));
      }
      return connection;
    });
    this.#connection = opening;
    return opening;
  }

  /** Run over a channel slot that stays taken until the channel is closed on both ends, not merely until the result is in. */
  #run(connection: Connection, command: string, options: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      void connection.channels(
        () =>
          new Promise<void>((slotFree) => {
            this.stats.channels += 1;
            execOnChannel(this.#channelContext(connection), command, options, slotFree).then(resolve, reject);
          }),
      );
    });
  }

  #sessionSlot(connection: Connection): SessionSlot {
    return {
      acquire: () => new Promise<() => void>((taken) => void connection.channels(() => new Promise<void>((release) => taken(release)))),
      opened: () => {
        this.stats.channels += 1;
      },
    };
  }

  #channelContext(connection: Connection): ChannelContext {
    return {
      client: connection.client,
      label: this.#resolved.name,
      lostReason: () => connection.lostReason,
      ...(this.#sudo ? { sudo: this.#sudo } : {}),
    };
  }

  #sftp(connection: Connection): Promise<SFTPWrapper | null> {
    connection.sftp ??= new Promise<SFTPWrapper | null>((resolve, reject) => {
      connection.client.sftp((error, sftp) => {
        if (!error) {
          // A dead SFTP channel must not be reused: the next transfer opens a new one (or finds the connection gone).
          sftp.once("close", () => {
            connection.sftp = undefined;
          });
          return resolve(sftp);
        }
        if (isSftpUnavailable(error)) return resolve(null);
        connection.sftp = undefined;
        reject(this.#transferError("open SFTP", "", connection, error));
      });
    });
    return connection.sftp;
  }

  #transferError(step: string, remotePath: string, connection: Connection, error: unknown): PineError {
    const where = remotePath ? ` ${remotePath}` : "";
    if (connection.lostReason) {
      return new ConnectError(`connection lost during ${step}${where}: ${connection.lostReason.message}`, {
        host: this.#resolved.name,
        step,
        cause: error,
        hint: "the host went away; the remote file may be partly written",
      });
    }
    return new PineError(`${step}${where} failed: ${(error as Error)?.message ?? String(error)}`, {
      host: this.#resolved.name,
      step,
      cause: error,
      hint: "check the path, its directory and permissions on the host",
    });
  }
}

/** The stdin a session command carries as bytes; false when it must go over a channel (a stream, or too large). */
function sessionStdin(options: ExecOptions): Buffer | undefined | false {
  const input = options.stdin;
  if (input === undefined) return undefined;
  if (typeof input !== "string" && !Buffer.isBuffer(input)) return false;
  const bytes = typeof input === "string" ? Buffer.from(input) : input;
  return bytes.length <= SESSION_MAX_STDIN_BYTES ? bytes : false;
}

/** A transfer carried by `cat` fails as that transfer step, not as a generic exec. */
function asStep(step: string) {
  return (error: unknown): never => {
    if (!(error instanceof PineError)) throw error;
    const Kind = error instanceof ConnectError ? ConnectError : error instanceof CommandError ? CommandError : PineError;
    throw new Kind(error.message, {
      host: error.host,
      step,
      command: error.command,
      hint: error.hint,
      cause: error,
      ...(error.exitCode === undefined ? {} : { exitCode: error.exitCode }),
      ...(error.stderr === undefined ? {} : { stderr: error.stderr }),
    });
  };
}

function commandFailed(step: string, host: string, remotePath: string, cat: string, result: ExecResult): CommandError {
  return new CommandError(`${step} ${remotePath} failed`, {
    host,
    step,
    command: cat,
    exitCode: result.exitCode,
    stderr: result.stderr,
    hint: "check the path, its directory and permissions on the host",
  });
}
