// The upgrade's settings for one host, read from its inventory data and validated with messages that name the key.
import { UsageError } from "../../src/errors.js";
import { isPlainObject } from "../../src/inventory/values.js";

/** A user's health check, run after the reboot until it passes or the host's health time runs out. */
export type HealthCheck =
  /** A shell command on the host that must exit 0. */
  | { command: string }
  /** A service that must be running (OpenRC, systemd, an init.d script, else a process of that name). */
  | { service: string }
  /** A TCP port the controller must be able to connect to (at the host's address unless `address` is given). */
  | { port: number; address?: string };

/** A static delta the host can use, from the inventory (the release index lists its own). */
export type DeltaChoice = ({ file: string; sha256?: string } | { url: string; sha256: string; size?: number }) & {
  /** The commit the delta starts from; "empty" for a full delta; absent: not known (tried on any host). */
  from?: string;
};

export interface TargetChoice {
  /** A release tag or a commit; undefined: the index's latest. */
  to?: string;
  /** The release index (data.releaseIndex, shared with install): a file or an http(s) URL. */
  releaseIndex?: string;
  delta?: DeltaChoice;
}

export interface UpgradeConfig {
  target: TargetChoice;
  health: HealthCheck[];
  /** All health checks together, after the reboot. */
  healthTimeoutMs: number;
  /** How long the host may take to come back from the reboot. */
  rebootTimeoutMs: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function readUpgradeConfig(host: string, data: Readonly<Record<string, unknown>>, to: string | undefined): UpgradeConfig {
  const where = (key: string) => `host ${host}: data.${key}`;
  const upgrade = data.upgrade ?? {};
  if (!isPlainObject(upgrade)) throw new UsageError(`${where("upgrade")} must be a mapping (to, delta, health, healthTimeout, rebootTimeout)`);
  const index = data.releaseIndex;
  if (index !== undefined && (typeof index !== "string" || !index)) throw new UsageError(`${where("releaseIndex")} must be a file path or an http(s) URL`);
  const dataTo = upgrade.to;
  if (dataTo !== undefined && (typeof dataTo !== "string" || !dataTo)) throw new UsageError(`${where("upgrade.to")} must be a release tag or a commit`);
  const target: TargetChoice = {
    ...((to ?? dataTo) ? { to: (to ?? dataTo) as string } : {}),
    ...(index ? { releaseIndex: index } : {}),
    ...(upgrade.delta !== undefined ? { delta: readDelta(where, upgrade.delta) } : {}),
  };
  if (!target.releaseIndex && !(target.to && HEX64.test(target.to))) {
    throw new UsageError(`${where("releaseIndex")}: nothing says which release to upgrade to`, {
      hint: "set data.releaseIndex (a release index file or URL), or give --to COMMIT with data.upgrade.delta: { file | url, sha256 }",
    });
  }
  return {
    target,
    health: readHealth(where, upgrade.health),
    healthTimeoutMs: seconds(where("upgrade.healthTimeout"), upgrade.healthTimeout, 60),
    rebootTimeoutMs: seconds(where("upgrade.rebootTimeout"), upgrade.rebootTimeout, 600),
  };
}

function readDelta(where: (k: string) => string, value: unknown): DeltaChoice {
  if (!isPlainObject(value)) throw new UsageError(`${where("upgrade.delta")} must be a mapping: { file, sha256? } or { url, sha256 }, with from: COMMIT`);
  const from = value.from;
  if (from !== undefined && (typeof from !== "string" || !(from === "empty" || HEX64.test(from)))) {
    throw new UsageError(`${where("upgrade.delta.from")} must be the 64-hex commit the delta starts from, or "empty" for a full delta`);
  }
  const sha = value.sha256;
  if (sha !== undefined && (typeof sha !== "string" || !/^[0-9a-fA-F]{64}$/.test(sha))) throw new UsageError(`${where("upgrade.delta.sha256")} must be 64 hex digits`);
  const base = from ? { from } : {};
  if (typeof value.url === "string") {
    if (!/^https?:\/\/\S+$/.test(value.url)) throw new UsageError(`${where("upgrade.delta.url")} must be an http(s) URL, got ${JSON.stringify(value.url)}`);
    if (typeof sha !== "string") throw new UsageError(`${where("upgrade.delta.sha256")} is required with upgrade.delta.url`, { hint: "pine never applies a delta whose sha256 it does not know" });
    const size = value.size;
    if (size !== undefined && (typeof size !== "number" || !Number.isInteger(size) || size < 0)) throw new UsageError(`${where("upgrade.delta.size")} must be a byte count`);
    return { url: value.url, sha256: sha.toLowerCase(), ...(size !== undefined ? { size } : {}), ...base };
  }
  if (typeof value.file === "string" && value.file) return { file: value.file, ...(sha ? { sha256: sha.toLowerCase() } : {}), ...base };
  throw new UsageError(`${where("upgrade.delta")} needs file (streamed from the controller) or url (downloaded by the host)`);
}

function readHealth(where: (k: string) => string, value: unknown): HealthCheck[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new UsageError(`${where("upgrade.health")} must be a list of checks like { command: "..." }, { service: sshd }, { port: 22 }`);
  return value.map((check: unknown, i) => {
    const at = where(`upgrade.health[${i}]`);
    if (!isPlainObject(check)) throw new UsageError(`${at} must be a mapping: { command }, { service } or { port }`);
    const kinds = ["command", "service", "port"].filter((k) => check[k] !== undefined);
    if (kinds.length !== 1) throw new UsageError(`${at} must have exactly one of command, service, port (it has ${kinds.length ? kinds.join(", ") : "none"})`);
    if (check.command !== undefined) {
      if (typeof check.command !== "string" || !check.command.trim()) throw new UsageError(`${at}.command must be a non-empty shell command`);
      return { command: check.command };
    }
    if (check.service !== undefined) {
      if (typeof check.service !== "string" || !/^[A-Za-z0-9@._-]+$/.test(check.service)) throw new UsageError(`${at}.service must be a service name like sshd`);
      return { service: check.service };
    }
    const port = check.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${at}.port must be 1-65535, got ${JSON.stringify(port)}`);
    const address = check.address;
    if (address !== undefined && (typeof address !== "string" || !address)) throw new UsageError(`${at}.address must be a host name or IP address`);
    return { port, ...(address ? { address } : {}) };
  });
}

function seconds(where: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback * 1000;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw new UsageError(`${where} must be a number of seconds above 0, got ${JSON.stringify(value)}`);
  return Math.round(value * 1000);
}
