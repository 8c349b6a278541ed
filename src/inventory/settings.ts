// The connection settings' rules: which keys exist, what each accepts, and how a wrong value is explained.
import { isIP } from "node:net";
import type { ConnectionKey } from "./types.js";
import { describeValue } from "./values.js";

type Checked = { ok: true; value: unknown } | { ok: false; expected: string; advice?: string };
type Check = (value: unknown) => Checked;

const ok = (value: unknown): Checked => ({ ok: true, value });
const bad = (expected: string, advice?: string): Checked => ({ ok: false, expected, advice });

/**
 * Host and group names. Conservative on purpose: names reach log lines, file names (failed-host
 * lists) and command lines. No leading "-" (it would read as an option to ssh and friends) or "@"
 * (it marks a --limit file).
 */
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.@:-]*$/;
export const NAME_RULE = "start with a letter, digit or _ and contain only letters, digits and _ . @ : -";
const USER_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/;
const HOSTNAME_LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
const HOSTNAME_PATTERN = new RegExp(`^${HOSTNAME_LABEL}(?:\\.${HOSTNAME_LABEL})*\\.?$`);

export function isValidName(name: string): boolean {
  return name.length <= 253 && NAME_PATTERN.test(name);
}

/** A DNS-style hostname, an IPv4 literal or an IPv6 literal (optionally in brackets); returns it without brackets. */
export function parseAddress(text: string): string | undefined {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (isIP(bare) === 6) return bare;
  if (bare !== text) return undefined;
  if (isIP(text) === 4) return text;
  // All-numeric dotted names that are not valid IPv4 (300.1.1.1, 10.0.0) are almost always typos.
  if (/^[0-9.]+$/.test(text)) return undefined;
  return text.length <= 253 && HOSTNAME_PATTERN.test(text) ? text : undefined;
}

export const ADDRESS_RULE = "a hostname, IPv4 or IPv6 address";

const str = (expected: string, test: (s: string) => boolean): Check => (value) =>
  typeof value === "string" && test(value) ? ok(value) : bad(expected);

const checkUser = str("a user name (letters, digits and _ . @ -, not starting with - . or @)",
  (s) => s.length <= 64 && USER_PATTERN.test(s));

const checkPath: Check = (value) => {
  if (typeof value !== "string" || value === "" || /[\0\n\r]/.test(value)) return bad("a file path");
  if (/^~[^/]/.test(value)) return bad("a file path", "~ means your own home directory; ~otheruser/ is not supported, write the full path");
  return ok(value);
};

const checkJump: Check = (value) => {
  if (typeof value !== "string") return bad("a jump host like user@bastion:22");
  const hops = value.split(",");
  const valid = hops.every((hop) => {
    const match = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d{1,5}))?$/.exec(hop.trim());
    if (!match) return false;
    const [, user, host, port] = match;
    if (user !== undefined && !checkUser(user).ok) return false;
    if (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535)) return false;
    return host !== undefined && parseAddress(host) !== undefined;
  });
  return valid ? ok(value) : bad("a jump host like user@bastion:22 (several separated by commas)");
};

const SETTING_CHECKS: Record<ConnectionKey, Check> = {
  user: checkUser,
  port: (v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535 ? ok(v) : bad("an integer 1-65535")),
  key: checkPath,
  password: (v) => (typeof v === "string" ? ok(v) : bad("a string", "quote it (password: \"...\") so YAML keeps it exactly as written")),
  knownHosts: checkPath,
  hostKeyCheck: (v) => (v === "strict" || v === "accept-new" || v === "off" ? ok(v) : bad("one of strict, accept-new, off")),
  sudo: (v) => (typeof v === "boolean" ? ok(v) : bad("true or false")),
  sudoUser: checkUser,
  connector: (v) => (v === "ssh" || v === "local" ? ok(v) : bad("one of ssh, local")),
  jump: checkJump,
  connectTimeout: (v) =>
    typeof v === "number" && Number.isFinite(v) && v > 0 && v <= 3600 ? ok(v) : bad("a number of seconds greater than 0 and at most 3600"),
};

export const CONNECTION_KEYS = Object.keys(SETTING_CHECKS) as ConnectionKey[];

export function isConnectionKey(key: string): key is ConnectionKey {
  return Object.hasOwn(SETTING_CHECKS, key);
}

/** Secrets are never echoed back in messages. */
export const SECRET_KEYS: ReadonlySet<ConnectionKey> = new Set(["password"]);

/**
 * Checks one setting. Returns the value, or a sentence like
 * `hosts.web2.port must be an integer 1-65535, got the string "abc"`.
 */
export function checkSetting(key: ConnectionKey, value: unknown, label: string): { value: unknown } | { problem: string } {
  const result = SETTING_CHECKS[key](value);
  if (result.ok) return { value: result.value };
  const got = describeValue(value, SECRET_KEYS.has(key));
  return { problem: `${label} must be ${result.expected}, got ${got}${result.advice ? `; ${result.advice}` : ""}` };
}

/** The CLI flag for a setting: knownHosts → --known-hosts. */
export function flagName(key: ConnectionKey): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
