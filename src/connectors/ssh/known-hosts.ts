// OpenSSH known_hosts: parse lines, match host patterns (plain, hashed, wildcard, negated), judge an offered key. Pure.
// KnownHostsIndex answers the same questions without scanning every line: a run checks 1000 hosts against a
// 1000-line file, twice per connection.
import { createHash, createHmac } from "node:crypto";

export type KnownHostsMarker = "cert-authority" | "revoked";

export interface KnownHostsEntry {
  /** 1-based line number in the file, for messages. */
  line: number;
  marker?: KnownHostsMarker;
  /** Comma-separated patterns as written, or a hashed `|1|salt|hash` token. */
  hosts: string;
  keyType: string;
  /** The key blob (SSH wire format), decoded from base64. */
  key: Buffer;
}

/** How an offered host key compares with what known_hosts says about that host. */
export type HostKeyVerdict =
  | { status: "known"; entry: KnownHostsEntry }
  | { status: "revoked"; entry: KnownHostsEntry }
  /** The host has keys on record and the offered one is none of them. */
  | { status: "mismatch"; expected: KnownHostsEntry[] }
  /** Nothing on record. `certAuthority` is set when a @cert-authority line covers the host (pine does not verify certificates). */
  | { status: "unknown"; certAuthority: boolean };

/** Parse known_hosts text. Comments, blank lines, unknown markers and SSH1-style lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  text.split("\n").forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostsMarker | undefined;
    if (fields[0]?.startsWith("@")) {
      const name = fields.shift()!.slice(1);
      if (name !== "cert-authority" && name !== "revoked") return;
      marker = name;
    }
    const [hosts, keyType, base64] = fields;
    if (!hosts || !keyType || !base64 || /^\d+$/.test(keyType)) return;
    const key = Buffer.from(base64, "base64");
    if (key.length === 0 || keyTypeOf(key) !== keyType) return;
    entries.push({ line: index + 1, ...(marker ? { marker } : {}), hosts, keyType, key });
  });
  return entries;
}

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Whether an entry's host field covers `host:port`, following OpenSSH's match_hostname (any `!` match vetoes). */
export function entryMatches(hosts: string, host: string, port: number): boolean {
  const name = knownHostsName(host, port).toLowerCase();
  if (hosts.startsWith("|1|")) return hashedMatches(hosts, name);
  let found = false;
  for (const pattern of hosts.split(",")) {
    const negated = pattern.startsWith("!");
    const body = (negated ? pattern.slice(1) : pattern).toLowerCase();
    if (!wildcardMatches(body, name)) continue;
    if (negated) return false;
    found = true;
  }
  return found;
}

interface CompiledPattern {
  negated: boolean;
  /** Lower-cased pattern body; matched with `regex` when it has wildcards, else compared as is. */
  body: string;
  regex?: RegExp;
}

/**
 * Parsed entries indexed for lookups by host. Lines whose patterns are all plain names (the usual `host`,
 * `host,10.0.0.1`, `[host]:2222`) go into a map from lower-cased name to their positions; only lines with a
 * wildcard or a negation (their patterns compiled once) and hashed lines are looked at one by one, and a hashed
 * line costs one HMAC per distinct salt per host. `matching` answers exactly what filtering the entries with
 * `entryMatches` does, in file order. An index never changes: KnownHostsCache builds a new one when the file does.
 */
export class KnownHostsIndex {
  readonly entries: readonly KnownHostsEntry[];
  readonly #exact = new Map<string, number[]>();
  readonly #patterned: Array<{ at: number; patterns: CompiledPattern[] }> = [];
  readonly #hashed: Array<{ at: number; salt: string; hash: string }> = [];
  /** Answers already given: a connection asks twice (key types to offer, then the verdict), hashed lines cost HMACs. */
  readonly #seen = new Map<string, number[]>();

  constructor(entries: readonly KnownHostsEntry[]) {
    this.entries = entries;
    entries.forEach((entry, at) => {
      if (entry.hosts.startsWith("|1|")) {
        const [, , salt, hash] = entry.hosts.split("|");
        if (salt && hash) this.#hashed.push({ at, salt, hash });
        return;
      }
      const patterns = entry.hosts.split(",").map(compilePattern);
      if (patterns.some((pattern) => pattern.negated || pattern.regex)) {
        this.#patterned.push({ at, patterns });
        return;
      }
      for (const { body } of patterns) {
        const list = this.#exact.get(body);
        if (!list) this.#exact.set(body, [at]);
        else if (list[list.length - 1] !== at) list.push(at);
      }
    });
  }

  /** Entries whose host field covers `host:port`, in file order. */
  matching(host: string, port: number): KnownHostsEntry[] {
    const name = knownHostsName(host, port).toLowerCase();
    let positions = this.#seen.get(name);
    if (!positions) this.#seen.set(name, (positions = this.#lookup(name)));
    return positions.map((at) => this.entries[at]!);
  }

  #lookup(name: string): number[] {
    const found = [...(this.#exact.get(name) ?? [])];
    for (const { at, patterns } of this.#patterned) if (patternsMatch(patterns, name)) found.push(at);
    if (this.#hashed.length > 0) {
      const digests = new Map<string, string>();
      for (const { at, salt, hash } of this.#hashed) {
        let digest = digests.get(salt);
        if (digest === undefined) digests.set(salt, (digest = hmacName(salt, name)));
        if (digest === hash) found.push(at);
      }
    }
    if (found.length > 1) found.sort((a, b) => a - b);
    return found;
  }
}

function relevantEntries(source: readonly KnownHostsEntry[] | KnownHostsIndex, host: string, port: number): KnownHostsEntry[] {
  return source instanceof KnownHostsIndex ? source.matching(host, port) : source.filter((entry) => entryMatches(entry.hosts, host, port));
}

/** Judge `offered` (a key blob) for `host:port` against parsed entries (or their index). */
export function judgeHostKey(source: readonly KnownHostsEntry[] | KnownHostsIndex, host: string, port: number, offered: Buffer): HostKeyVerdict {
  const relevant = relevantEntries(source, host, port);
  const revoked = relevant.find((entry) => entry.marker === "revoked" && entry.key.equals(offered));
  if (revoked) return { status: "revoked", entry: revoked };
  const plain = relevant.filter((entry) => entry.marker === undefined);
  const known = plain.find((entry) => entry.key.equals(offered));
  if (known) return { status: "known", entry: known };
  if (plain.length > 0) return { status: "mismatch", expected: plain };
  return { status: "unknown", certAuthority: relevant.some((entry) => entry.marker === "cert-authority") };
}

/** Key types on record for a host (plain lines only), in file order, without duplicates. */
export function recordedKeyTypes(source: readonly KnownHostsEntry[] | KnownHostsIndex, host: string, port: number): string[] {
  const types = relevantEntries(source, host, port)
    .filter((entry) => entry.marker === undefined)
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}

/** One known_hosts line (unhashed) recording `key` for `host:port`. */
export function formatKnownHostsLine(host: string, port: number, key: Buffer): string {
  return `${knownHostsName(host, port)} ${keyTypeOf(key)} ${key.toString("base64")}`;
}

/** OpenSSH's SHA256 fingerprint of a key blob: `SHA256:` + unpadded base64. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** The algorithm name at the start of a key blob (`ssh-ed25519`, `ssh-rsa`, ...), or "" if malformed. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return "";
  const length = key.readUInt32BE(0);
  if (length > key.length - 4 || length > 64) return "";
  return key.subarray(4, 4 + length).toString("latin1");
}

/** Parse a public key as written in known_hosts or a .pub file (`TYPE BASE64 [comment]`, optionally with a host field first). */
export function parsePublicKey(text: string): Buffer {
  const fields = text.trim().split(/\s+/);
  for (let i = 0; i + 1 < fields.length; i++) {
    const key = Buffer.from(fields[i + 1]!, "base64");
    if (key.length > 0 && keyTypeOf(key) === fields[i]) return key;
  }
  throw new Error(`not an OpenSSH public key: expected "TYPE BASE64", got ${JSON.stringify(text.slice(0, 40))}`);
}

function hashedMatches(token: string, name: string): boolean {
  const [, , salt, hash] = token.split("|");
  if (!salt || !hash) return false;
  return hmacName(salt, name) === hash;
}

function hmacName(salt: string, name: string): string {
  return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
}

function wildcardMatches(pattern: string, name: string): boolean {
  return /[*?]/.test(pattern) ? wildcardRegex(pattern).test(name) : pattern === name;
}

function wildcardRegex(pattern: string): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`);
}

function compilePattern(pattern: string): CompiledPattern {
  const negated = pattern.startsWith("!");
  const body = (negated ? pattern.slice(1) : pattern).toLowerCase();
  return /[*?]/.test(body) ? { negated, body, regex: wildcardRegex(body) } : { negated, body };
}

/** entryMatches for precompiled patterns: any negated match vetoes. */
function patternsMatch(patterns: readonly CompiledPattern[], name: string): boolean {
  let found = false;
  for (const pattern of patterns) {
    if (!(pattern.regex ? pattern.regex.test(name) : pattern.body === name)) continue;
    if (pattern.negated) return false;
    found = true;
  }
  return found;
}
