// The upgrade's run-wide flags (--to, --max-down, --lock), validated at the edge with messages that name the flag.
import { UsageError } from "../../src/errors.js";
import type { LockSpec } from "../../src/lock/index.js";

export interface RolloutOptions {
  /** --to: a release tag or a 64-hex commit; undefined: the inventory's upgrade.to, else the index's latest. */
  to?: string;
  /** --max-down: hosts allowed between "reboot" and "healthy" at once. */
  maxDown: number;
  lock: LockSpec;
  /** How the lock is named for people: "embedded" or "etcd http://10.0.0.5:2379". */
  lockLabel: string;
}

export function readRolloutOptions(options: Readonly<Record<string, unknown>> | undefined): RolloutOptions {
  const given = options ?? {};
  const to = given.to;
  if (to !== undefined && (typeof to !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(to))) {
    throw new UsageError(`--to must be a release tag like v2 or a 64-hex-digit OSTree commit, got ${JSON.stringify(to)}`);
  }
  const maxDown = given.maxDown ?? 1;
  if (typeof maxDown !== "number" || !Number.isInteger(maxDown) || maxDown < 1) {
    throw new UsageError(`--max-down must be a whole number of hosts, at least 1, got ${JSON.stringify(given.maxDown)}`);
  }
  const lock = parseLockOption(given.lock === undefined ? "embedded" : String(given.lock));
  return { ...(to ? { to } : {}), maxDown, ...lock };
}

/**
 * `embedded`, or `etcd://HOST:PORT[,HOST:PORT...][?ttl=SECONDS&prefix=KEY/PREFIX]` (etcds:// for https).
 * Only the etcd backend is shared between controllers; its entries carry a lease of `ttl` seconds (default 15).
 */
export function parseLockOption(text: string): { lock: LockSpec; lockLabel: string } {
  const value = text.trim();
  if (value === "embedded") return { lock: { backend: "embedded" }, lockLabel: "embedded" };
  const m = /^(etcds?):\/\/([^?/]+)\/?(?:\?(.*))?$/.exec(value);
  if (!m) throw new UsageError(`--lock must be "embedded" or etcd://HOST:PORT[,HOST:PORT...], got ${JSON.stringify(text)}`, { hint: "e.g. --lock etcd://10.0.0.5:2379,10.0.0.6:2379" });
  const scheme = m[1] === "etcds" ? "https" : "http";
  const endpoints = m[2]!.split(",").map((part) => {
    const hostPort = part.trim();
    if (!/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(hostPort)) throw new UsageError(`--lock: "${hostPort}" is not HOST:PORT (in ${JSON.stringify(text)})`);
    return `${scheme}://${hostPort}`;
  });
  const spec: LockSpec & { backend: "etcd" } = { backend: "etcd", endpoints };
  for (const pair of (m[3] ?? "").split("&").filter(Boolean)) {
    const [key, raw = ""] = pair.split("=", 2) as [string, string?];
    if (key === "ttl") {
      const ttl = Number(raw);
      if (!Number.isInteger(ttl) || ttl < 2) throw new UsageError(`--lock: ttl must be whole seconds, at least 2, got ${JSON.stringify(raw)}`);
      spec.ttlSeconds = ttl;
    } else if (key === "prefix") {
      if (!raw) throw new UsageError("--lock: prefix must not be empty");
      spec.prefix = decodeURIComponent(raw);
    } else throw new UsageError(`--lock: unknown setting "${key}" (known: ttl, prefix)`);
  }
  return { lock: spec, lockLabel: `etcd ${endpoints.join(",")}` };
}
