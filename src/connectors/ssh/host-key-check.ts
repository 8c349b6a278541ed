// Decide whether to trust a host key: known_hosts modes (strict, accept-new, off), pinned keys, appending new lines.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { ConnectError } from "../../errors.js";
import {
  fingerprint,
  formatKnownHostsLine,
  judgeHostKey,
  keyTypeOf,
  knownHostsName,
  parseKnownHosts,
  parsePublicKey,
  recordedKeyTypes,
  type KnownHostsEntry,
  type KnownHostsIndex,
} from "./known-hosts.js";
import type { KnownHostsCache } from "./known-hosts-cache.js";

export type HostKeyCheck = "strict" | "accept-new" | "off";

/** Host key algorithms ssh2 can verify (no certificates, no security keys). */
const SSH2_HOST_KEY_ALGORITHMS = new Set([
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
  "ssh-dss",
]);

export interface HostKeyPolicy {
  mode: HostKeyCheck;
  /** known_hosts file to read and (accept-new, pinned) append to. */
  knownHostsPath: string;
  /** Accept only this key (`TYPE BASE64`, e.g. a .pub file's content), then record it in known_hosts. */
  pinnedKey?: string;
  /** Shared by the run's connections so each file is parsed once (default: parse on every check). */
  cache?: KnownHostsCache;
}

/** The cache's index when the run shares one; else the file parsed now (a single lookup: a scan is cheaper than an index). */
function knownEntries(policy: HostKeyPolicy): KnownHostsEntry[] | KnownHostsIndex {
  return policy.cache ? policy.cache.index(policy.knownHostsPath) : parseKnownHosts(readKnownHosts(policy.knownHostsPath));
}

export interface HostKeyTarget {
  /** Name used in messages, e.g. "root@web1". */
  label: string;
  host: string;
  port: number;
}

/**
 * Returns null when the key is trusted (appending to known_hosts when the policy says so), or the ConnectError explaining why not.
 * Reading and appending are synchronous on purpose: check-then-append cannot interleave with another connection in this process,
 * so two hosts behind the same jump host never record the same line twice.
 */
export function checkHostKey(policy: HostKeyPolicy, target: HostKeyTarget, offered: Buffer): ConnectError | null {
  if (policy.pinnedKey !== undefined) return checkPinned(policy, target, offered);
  if (policy.mode === "off") return null;
  const entries = knownEntries(policy);
  const verdict = judgeHostKey(entries, target.host, target.port, offered);
  const name = knownHostsName(target.host, target.port);
  const offeredText = `${keyTypeOf(offered)} ${fingerprint(offered)}`;
  switch (verdict.status) {
    case "known":
      return null;
    case "revoked":
      return hostKeyError(target, `host key ${offeredText} is marked @revoked in ${policy.knownHostsPath}:${verdict.entry.line}`, {
        hint: "this key must never be trusted again; find out why the host still offers it",
      });
    case "mismatch": {
      const expected = verdict.expected
        .map((entry) => `${entry.keyType} ${fingerprint(entry.key)} (${policy.knownHostsPath}:${entry.line})`)
        .join(", ");
      return hostKeyError(target, `HOST KEY MISMATCH for ${name}: known_hosts expects ${expected}; the host offered ${offeredText}`, {
        hint:
          `someone may be intercepting the connection, or the host was reinstalled. If the change is legitimate, remove the old key with ` +
          `\`ssh-keygen -R '${name}' -f ${policy.knownHostsPath}\` and connect again`,
      });
    }
    case "unknown": {
      if (policy.mode === "accept-new") {
        appendKnownHost(policy.knownHostsPath, formatKnownHostsLine(target.host, target.port, offered));
        return null;
      }
      const ca = verdict.certAuthority
        ? " (known_hosts trusts a @cert-authority for it, but pine does not verify host certificates)"
        : "";
      const type = keyTypeOf(offered).replace(/^ssh-/, "").replace(/^ecdsa-sha2-nistp\d+$/, "ecdsa");
      const portFlag = target.port === 22 ? "" : ` -p ${target.port}`;
      return hostKeyError(target, `host ${name} is not in ${policy.knownHostsPath}${ca}; it offered ${offeredText}`, {
        hint:
          `check that fingerprint out of band, then add the key with ` +
          `\`ssh-keyscan${portFlag} -t ${type} ${target.host} >> ${policy.knownHostsPath}\`, or rerun with --host-key-check accept-new`,
      });
    }
  }
}

/** Host key algorithms to offer so the server presents a key type we have on record (as OpenSSH orders HostKeyAlgorithms). */
export function preferredHostKeyAlgorithms(policy: HostKeyPolicy, host: string, port: number): string[] | undefined {
  let types: string[];
  if (policy.pinnedKey !== undefined) types = [keyTypeOf(parsePublicKey(policy.pinnedKey))];
  else if (policy.mode === "off") return undefined;
  else types = recordedKeyTypes(knownEntries(policy), host, port);
  const algorithms = types
    .flatMap((type) => (type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type]))
    .filter((algorithm) => SSH2_HOST_KEY_ALGORITHMS.has(algorithm));
  return algorithms.length > 0 ? algorithms : undefined;
}

function checkPinned(policy: HostKeyPolicy, target: HostKeyTarget, offered: Buffer): ConnectError | null {
  const pinned = parsePublicKey(policy.pinnedKey!);
  if (!pinned.equals(offered)) {
    return hostKeyError(
      target,
      `host key is not the pinned one: expected ${keyTypeOf(pinned)} ${fingerprint(pinned)}, the host offered ${keyTypeOf(offered)} ${fingerprint(offered)}`,
      { hint: "the host was not (re)installed with the key pine expected; do not trust it until you know why" },
    );
  }
  const entries = knownEntries(policy);
  if (judgeHostKey(entries, target.host, target.port, offered).status !== "known") {
    appendKnownHost(policy.knownHostsPath, formatKnownHostsLine(target.host, target.port, offered));
  }
  return null;
}

function readKnownHosts(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw error;
  }
}

/** Append one line; never rewrite. A missing file is created 0600 (its directory 0700). */
function appendKnownHost(path: string, line: string): void {
  if (!existsSync(path)) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const current = readKnownHosts(path);
  const separator = current === "" || current.endsWith("\n") ? "" : "\n";
  appendFileSync(path, `${separator}${line}\n`, { mode: 0o600 });
}

function hostKeyError(target: HostKeyTarget, message: string, details: { hint: string }): ConnectError {
  return new ConnectError(message, { host: target.label, step: "host key", hint: details.hint });
}
