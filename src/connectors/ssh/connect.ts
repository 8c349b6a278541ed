// Open an authenticated ssh2 Client to a host, through jump hosts, with host key checks, retries and the handshake cap.
import ssh2 from "ssh2";
import type { Client as ClientType, ServerHostKeyAlgorithm } from "ssh2";
import type { Duplex } from "node:stream";
import { ConnectError } from "../../errors.js";
import { createAuthHandler, type AuthAttempts, type AuthSettings } from "./auth.js";
import { describeConnectFailure } from "./connect-errors.js";
import type { HandshakeLimiter } from "./handshake-limiter.js";
import { checkHostKey, preferredHostKeyAlgorithms, type HostKeyPolicy } from "./host-key-check.js";
import type { Endpoint, ResolvedSsh } from "./options.js";
import { withRetries, type RetryPolicy } from "./retry.js";

const { Client } = ssh2;

export interface ConnectSettings {
  hostKeys: HostKeyPolicy;
  auth: Omit<AuthSettings, "username" | "keyFiles">;
  keepaliveInterval: number;
  keepaliveCountMax: number;
  readyTimeout: number;
  retry: RetryPolicy;
  limiter?: HandshakeLimiter;
}

/** Connect every hop in order; returns the clients, jump hosts first and the target last. On failure, closes what it opened. */
export async function openClients(resolved: ResolvedSsh, settings: ConnectSettings): Promise<ClientType[]> {
  const hops = [...resolved.jumps, resolved.target];
  const clients: ClientType[] = [];
  try {
    for (const hop of hops) {
      const isTarget = hop === resolved.target;
      // A pinned key belongs to the target; jump hosts are checked against known_hosts as usual.
      const hostKeys: HostKeyPolicy = isTarget ? settings.hostKeys : { mode: settings.hostKeys.mode, knownHostsPath: settings.hostKeys.knownHostsPath, cache: settings.hostKeys.cache };
      clients.push(await connectHop(hop, clients.at(-1), { ...settings, hostKeys }, resolved.name, !isTarget));
    }
    return clients;
  } catch (error) {
    for (const client of clients.reverse()) client.end();
    throw error;
  }
}

async function connectHop(
  hop: Endpoint,
  via: ClientType | undefined,
  settings: ConnectSettings,
  targetLabel: string,
  isJump: boolean,
): Promise<ClientType> {
  const started = Date.now();
  let attempts = 0;
  const auth: AuthAttempts = { tried: [] };
  try {
    return await withRetries(settings.retry, async (n) => {
      attempts = n;
      auth.tried = [];
      const attempt = (): Promise<ClientType> => handshake(hop, via, settings, targetLabel, auth);
      return settings.limiter ? settings.limiter.run(attempt) : attempt();
    });
  } catch (error) {
    throw describeConnectFailure(error, { endpoint: hop, targetLabel, isJump, attempts, elapsedMs: Date.now() - started, authTried: auth.tried });
  }
}

function handshake(hop: Endpoint, via: ClientType | undefined, settings: ConnectSettings, targetLabel: string, auth: AuthAttempts): Promise<ClientType> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKeyError: ConnectError | null = null;
    let settled = false;
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      if (error === undefined) return resolve(client);
      client.end();
      reject(hostKeyError ?? error);
    };
    client.on("ready", () => {
      // Commands are small request/response exchanges: Nagle + delayed ACKs would add ~40 ms to each.
      if (!via) client.setNoDelay(true);
      settle();
    });
    client.on("error", (error) => settle(error));
    client.on("close", () => settle(Object.assign(new Error("connection closed during the handshake"), { code: "ECONNRESET" })));

    const start = (sock?: Duplex): void => {
      const algorithms = preferredHostKeyAlgorithms(settings.hostKeys, hop.host, hop.port);
      client.connect({
        ...(sock ? { sock } : { host: hop.host, port: hop.port }),
        username: hop.user,
        readyTimeout: settings.readyTimeout,
        keepaliveInterval: settings.keepaliveInterval,
        keepaliveCountMax: settings.keepaliveCountMax,
        hostVerifier: (key: Buffer): boolean => {
          try {
            hostKeyError = checkHostKey(settings.hostKeys, { label: targetLabel, host: hop.host, port: hop.port }, key);
          } catch (error) {
            hostKeyError = new ConnectError(`cannot use known_hosts ${settings.hostKeys.knownHostsPath}: ${(error as Error).message}`, {
              host: targetLabel,
              step: "host key",
              hint: "check the file's permissions and format",
            });
          }
          return hostKeyError === null;
        },
        authHandler: createAuthHandler({ ...settings.auth, username: hop.user, keyFiles: hop.keyFiles }, auth),
        ...(algorithms ? { algorithms: { serverHostKey: algorithms as ServerHostKeyAlgorithm[] } } : {}),
      });
    };
    if (!via) return start();
    via.forwardOut("127.0.0.1", 0, hop.host, hop.port, (error, stream) => {
      if (error) {
        // The jump host's sshd reports the target's TCP failure as a channel open failure; keep it retryable.
        const refused = /refused/i.test(error.message);
        return settle(Object.assign(new Error(`jump host could not reach ${hop.host}:${hop.port}: ${error.message}`), refused ? { code: "ECONNREFUSED" } : {}));
      }
      start(stream);
    });
  });
}
