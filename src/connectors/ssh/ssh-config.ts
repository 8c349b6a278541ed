// Resolve one host's settings from an OpenSSH client config (~/.ssh/config): HostName, User, Port, IdentityFile, ProxyJump.
import { readFileSync } from "node:fs";
import SSHConfig from "ssh-config";

export interface SshConfigHost {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  /** ProxyJump value as written (`user@host:port`, comma list for chains, or "none"). */
  proxyJump?: string;
}

export interface SshConfigQuery {
  /** The name pine was given (inventory address), matched against `Host` patterns. */
  alias: string;
  /** The user pine will log in as when the config does not say (used for `%r`). */
  defaultUser: string;
  /** Config file path; a missing file means "no settings". */
  path: string;
  homeDir: string;
}

/**
 * Look up `alias`. `Match exec` criteria are NOT evaluated (they would run shell commands on every lookup),
 * so blocks guarded by them never apply.
 */
export function resolveSshConfig(query: SshConfigQuery): SshConfigHost {
  let text: string;
  try {
    text = readFileSync(query.path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { identityFiles: [] };
    throw error;
  }
  const computed = SSHConfig.parse(text).compute(query.alias, { ignoreCase: true, matchExec: false });
  const first = (name: string): string | undefined => {
    const value = computed[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const hostName = first("hostname");
  const user = first("user");
  const portText = first("port");
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new Error(`${query.path}: Port for ${query.alias} is not a port number: ${JSON.stringify(portText)}`);
  }
  const tokens: Tokens = {
    h: hostName === undefined ? query.alias : expandTokens(hostName, { h: query.alias }),
    r: user ?? query.defaultUser,
    p: String(port ?? 22),
    n: query.alias,
    d: query.homeDir,
    u: process.env.USER ?? "",
  };
  const identityValue = computed["identityfile"];
  const identityFiles = (Array.isArray(identityValue) ? identityValue : identityValue === undefined ? [] : [identityValue])
    .map((file) => expandHome(expandTokens(file, tokens), query.homeDir));
  const proxyJump = first("proxyjump");
  return {
    ...(hostName === undefined ? {} : { hostName: tokens.h }),
    ...(user === undefined ? {} : { user }),
    ...(port === undefined ? {} : { port }),
    identityFiles,
    ...(proxyJump === undefined || proxyJump.toLowerCase() === "none" ? {} : { proxyJump: expandTokens(proxyJump, tokens) }),
  };
}

/** `~/x` → home/x. */
export function expandHome(path: string, homeDir: string): string {
  return path === "~" ? homeDir : path.startsWith("~/") ? `${homeDir}${path.slice(1)}` : path;
}

type Tokens = Partial<Record<"h" | "r" | "p" | "n" | "d" | "u", string>>;

/** The simple `%` tokens of ssh_config(5); unknown tokens stay as written, `%%` is a percent sign. */
function expandTokens(value: string, tokens: Tokens): string {
  return value.replace(/%(.)/g, (whole, letter: string) => {
    if (letter === "%") return "%";
    return tokens[letter as keyof Tokens] ?? whole;
  });
}
