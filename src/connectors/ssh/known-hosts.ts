// OpenSSH known_hosts: parse lines, match host patterns (plain, hashed, wildcard, negated), judge an offered key. Pure.
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

/** Judge `offered` (a key blob) for `host:port` against parsed entries. */
export function judgeHostKey(entries: KnownHostsEntry[], host: string, port: number, offered: Buffer): HostKeyVerdict {
  const relevant = entries.filter((entry) => entryMatches(entry.hosts, host, port));
  const revoked = relevant.find((entry) => entry.marker === "revoked" && entry.key.equals(offered));
  if (revoked) return { status: "revoked", entry: revoked };
  const plain = relevant.filter((entry) => entry.marker === undefined);
  const known = plain.find((entry) => entry.key.equals(offered));
  if (known) return { status: "known", entry: known };
  if (plain.length > 0) return { status: "mismatch", expected: plain };
  return { status: "unknown", certAuthority: relevant.some((entry) => entry.marker === "cert-authority") };
}

/** Key types on record for a host (plain lines only), in file order, without duplicates. */
export function recordedKeyTypes(entries: KnownHostsEntry[], host: string, port: number): string[] {
  const types = entries
    .filter((entry) => entry.marker === undefined && entryMatches(entry.hosts, host, port))
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
  const digest = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
  return digest === hash;
}

function wildcardMatches(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`).test(name);
}
