// server.wait: block until a TCP port listens on the host or a command succeeds there, bounded by a timeout.
// The loop runs ON the host (one round trip however long it waits); a port is read from /proc/net/tcp{,6}, no netstat/nc needed.
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { quote } from "../../src/shell.js";

export interface WaitArgs {
  /** A TCP port that must be listening on the host (any address). Exactly one of port / command. */
  port?: number;
  /** A command that must exit 0. */
  command?: string;
  /** Give up after this long (default 60 000 ms). */
  timeoutMs?: number;
  /** Between checks (default 1000 ms; whole seconds on the host, at least 1). */
  intervalMs?: number;
}

function check(a: WaitArgs): { probe: string; what: string; seconds: number; interval: number } {
  if ((a.port === undefined) === (a.command === undefined)) throw new UsageError("server.wait: give exactly one of port or command");
  const timeoutMs = a.timeoutMs ?? 60_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`server.wait: timeoutMs must be a positive number, got ${a.timeoutMs}`);
  const interval = Math.max(1, Math.round((a.intervalMs ?? 1000) / 1000));
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  if (a.port !== undefined) {
    if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535) throw new UsageError(`server.wait: port must be 1-65535, got ${a.port}`);
    const hex = a.port.toString(16).toUpperCase().padStart(4, "0");
    // local_address :PORT, any remote, state 0A = LISTEN.
    return { probe: `grep -Eq ':${hex} [0-9A-Fa-f]+:0000 0A ' /proc/net/tcp /proc/net/tcp6 2>/dev/null`, what: `TCP port ${a.port} to listen`, seconds, interval };
  }
  if (typeof a.command !== "string" || a.command.trim() === "") throw new UsageError("server.wait: command must be a non-empty string");
  return { probe: `( ${a.command}\n) >/dev/null 2>&1 </dev/null`, what: `\`${a.command}\` to succeed`, seconds, interval };
}

export function waitCommand(probe: string, what: string, seconds: number, interval: number): string {
  return [
    `pine_end=$(( $(date +%s) + ${seconds} ))`,
    `until ${probe}; do`,
    `  if [ "$(date +%s)" -ge "$pine_end" ]; then printf '%s\\n' ${quote(`timed out after ${seconds}s waiting for ${what}`)} >&2; exit 124; fi`,
    `  sleep ${interval}`,
    `done`,
  ].join("\n");
}

export const wait = defineOperation<WaitArgs>({
  name: "server.wait",
  describe: (a) => (a.port !== undefined ? `TCP port ${a.port} listening` : `\`${a.command}\` succeeds`),
  async plan(host, a) {
    const { probe, what, seconds, interval } = check(a);
    if ((await host.exec(probe, { timeoutMs: 30_000 })).exitCode === 0) return null;
    return {
      description: `wait up to ${seconds}s for ${what}`,
      steps: [{ command: waitCommand(probe, what, seconds, interval), display: `wait up to ${seconds}s for ${what}`, timeoutMs: seconds * 1000 + 30_000 }],
      invalidates: [],
    };
  },
});
