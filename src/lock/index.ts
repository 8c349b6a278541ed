// The reboot lock: createLock() picks a backend (embedded in the controller, or etcd for several controllers).
import { EmbeddedLock } from "./embedded.js";
import { LockError } from "./errors.js";
import { EtcdLock } from "./etcd/lock.js";
import type { RebootLock } from "./types.js";

export type { AcquireOptions, LockLease, RebootLock, WaitState } from "./types.js";
export { LockError, type LockFailure } from "./errors.js";

export type LockSpec =
  | { backend: "embedded" }
  | {
      backend: "etcd";
      /** Client URLs of the etcd cluster, e.g. ["http://10.0.0.5:2379"]. */
      endpoints: readonly string[];
      /** Key prefix (default "pine/locks"): the lock lives under PREFIX/<name>/queue/ and .../holders/. */
      prefix?: string;
      /** Lease TTL in seconds (default 15): how long a dead controller's slots stay taken. */
      ttlSeconds?: number;
      /** Bound on each request to etcd (default 5000 ms). */
      requestTimeoutMs?: number;
    };

/** A lock named `name` (e.g. "reboot") of `max` slots. Nothing is contacted until the first call. */
export function createLock(spec: LockSpec, name: string, max: number): RebootLock {
  if (spec?.backend === "embedded") return new EmbeddedLock(name, max);
  if (spec?.backend === "etcd") {
    return new EtcdLock(name, max, {
      endpoints: checkEndpoints(spec.endpoints),
      prefix: checkPrefix(spec.prefix ?? "pine/locks"),
      ttlSeconds: checkWhole("ttlSeconds", spec.ttlSeconds ?? 15, 1),
      requestTimeoutMs: checkWhole("requestTimeoutMs", spec.requestTimeoutMs ?? 5000, 1),
    });
  }
  throw new LockError(`lock backend must be "embedded" or "etcd", got ${JSON.stringify((spec as { backend?: unknown } | undefined)?.backend)}`, "usage");
}

function checkEndpoints(endpoints: unknown): string[] {
  if (!Array.isArray(endpoints) || endpoints.length === 0) throw new LockError("etcd lock: endpoints must list at least one client URL, e.g. http://10.0.0.5:2379", "usage");
  return endpoints.map((endpoint: unknown, i) => {
    let url: URL | undefined;
    try {
      url = new URL(String(endpoint));
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
      throw new LockError(`etcd lock: endpoints[${i}] must be an http:// or https:// URL like http://10.0.0.5:2379, got ${JSON.stringify(endpoint)}`, "usage");
    }
    return url.href.replace(/\/+$/, "");
  });
}

function checkPrefix(prefix: unknown): string {
  const trimmed = typeof prefix === "string" ? prefix.replace(/\/+$/, "") : "";
  if (!trimmed || /[\u0000-\u001f\u007f]/.test(trimmed)) throw new LockError(`etcd lock: prefix must be a non-empty key prefix like "pine/locks", got ${JSON.stringify(prefix)}`, "usage");
  return trimmed;
}

function checkWhole(option: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new LockError(`etcd lock: ${option} must be a whole number of at least ${min}, got ${JSON.stringify(value)}`, "usage");
  }
  return value;
}
