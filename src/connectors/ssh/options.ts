// SshConnector options and their resolution into endpoints: inventory settings > ~/.ssh/config > built-in defaults.
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../errors.js";
import type { HandshakeLimiter } from "./handshake-limiter.js";
import type { HostKeyCheck } from "./host-key-check.js";
import type { KnownHostsCache } from "./known-hosts-cache.js";
import type { RetryPolicy } from "./retry.js";
import type { SecretCache } from "./secret-cache.js";
import { expandHome, resolveSshConfig } from "./ssh-config.js";
import type { SudoOptions } from "./sudo.js";
import { chooseKeyFiles } from "./auth.js";

export interface SshConnectorOptions {
  /** Address or ~/.ssh/config alias (the inventory `address`). */
  host: string;
  /** Name for messages (the inventory host name); default `host`. */
  name?: string;
  port?: number;
  user?: string;
  /** Private key file; default: IdentityFile from ssh config, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exist. */
  key?: string;
  /** Login password, asked only if keys and agent did not get in. */
  password?: () => Promise<string>;
  /** Asks a person for a key passphrase; answers are shared through `secrets`. */
  askSecret?: (prompt: string) => Promise<string>;
  /** One per run, shared by all connectors: each passphrase / sudo password is asked once. Default: a private cache. */
  secrets?: SecretCache;
  /** ssh-agent socket; default $SSH_AUTH_SOCK; false disables the agent. */
  agent?: string | false;
  /** OpenSSH client config; default ~/.ssh/config; false ignores it. */
  sshConfigPath?: string | false;
  /** Home directory for `~`, default keys and files; default os.homedir(). */
  homeDir?: string;
  /** Default ~/.ssh/known_hosts. */
  knownHostsPath?: string;
  /** One per run, shared by all connectors: known_hosts is parsed once, not once per host. */
  knownHostsCache?: KnownHostsCache;
  /** Default "strict". With "off" every key is accepted: the caller must warn. */
  hostKeyCheck?: HostKeyCheck;
  /** Accept only this host key (`TYPE BASE64`), e.g. after pine reinstalled the host; it is then appended to known_hosts. */
  hostKey?: string;
  /** ProxyJump: `[user@]host[:port]`, comma-separated for a chain; default from ssh config. */
  jump?: string;
  /** ms between SSH keepalives (default 15 000; 0 disables). The connection is declared lost after keepaliveCountMax misses (default 3). */
  keepaliveInterval?: number;
  keepaliveCountMax?: number;
  /** ms allowed for TCP connect + key exchange + auth, per attempt (default 20 000). */
  readyTimeout?: number;
  retry?: Partial<RetryPolicy>;
  /** One per run, shared by all connectors. Default: no cap. */
  handshakeLimiter?: HandshakeLimiter;
  /** Exec channels open at once over the connection; more wait (default 8; OpenSSH's MaxSessions is 10 and SFTP takes one). */
  maxChannels?: number;
  /** Wrap every command in sudo (for non-root logins). Uploads then go through `cat` under sudo instead of SFTP. */
  sudo?: SudoOptions;
}

/** One hop: where to connect and as whom. */
export interface Endpoint {
  label: string;
  host: string;
  port: number;
  user: string;
  keyFiles: string[];
}

export interface ResolvedSsh {
  target: Endpoint;
  /** Jump hosts, first hop first. */
  jumps: Endpoint[];
  /** Who errors are about: the inventory name, else the target's label. */
  name: string;
  homeDir: string;
}

export function resolveSsh(options: SshConnectorOptions): ResolvedSsh {
  if (!options.host) throw new UsageError("ssh: host is required");
  const homeDir = options.homeDir ?? homedir();
  const configPath = options.sshConfigPath === false ? undefined : expandHome(options.sshConfigPath ?? join(homeDir, ".ssh", "config"), homeDir);
  const localUser = safeLocalUser();
  const endpoint = (alias: string, explicit: { user?: string; port?: number; key?: string }): { endpoint: Endpoint; proxyJump?: string } => {
    const config = configPath
      ? resolveSshConfig({ alias, defaultUser: explicit.user ?? localUser, path: configPath, homeDir })
      : { identityFiles: [] };
    const host = config.hostName ?? alias;
    const user = explicit.user ?? config.user ?? localUser;
    const port = checkPort(explicit.port ?? config.port ?? 22, alias);
    const key = explicit.key === undefined ? undefined : expandHome(explicit.key, homeDir);
    return {
      endpoint: { label: `${user}@${host}:${port}`, host, port, user, keyFiles: chooseKeyFiles(key, config.identityFiles, homeDir) },
      ...(config.proxyJump ? { proxyJump: config.proxyJump } : {}),
    };
  };
  const { endpoint: target, proxyJump } = endpoint(options.host, options);
  const jumpSpec = options.jump ?? proxyJump;
  const jumps = (jumpSpec ? jumpSpec.split(",") : []).map((hop) => {
    const parsed = parseJump(hop.trim());
    return endpoint(parsed.host, { ...parsed, ...(options.key ? { key: options.key } : {}) }).endpoint;
  });
  return { target, jumps, homeDir, name: options.name ?? target.label };
}

/** `[user@]host[:port]` or `[user@][v6addr]:port`. */
export function parseJump(spec: string): { host: string; user?: string; port?: number } {
  const match = /^(?:([^@]+)@)?(?:\[([^\]]+)\]|([^:@]+))(?::(\d+))?$/.exec(spec);
  if (!match) throw new UsageError(`ssh: jump host ${JSON.stringify(spec)} is not [user@]host[:port]`);
  const [, user, v6, name, port] = match;
  return {
    host: (v6 ?? name)!,
    ...(user ? { user } : {}),
    ...(port ? { port: checkPort(Number(port), spec) } : {}),
  };
}

function checkPort(port: number, where: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`ssh: port for ${where} must be 1-65535, got ${port}`);
  return port;
}

function safeLocalUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "root";
  }
}
