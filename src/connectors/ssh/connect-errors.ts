// Turn ssh2 / socket failures during connect into ConnectErrors a person can act on.
import { ConnectError } from "../../errors.js";
import type { Endpoint } from "./options.js";

export interface ConnectFailureContext {
  endpoint: Endpoint;
  /** Label of the host pine was trying to reach (differs from endpoint.label for jump hosts). */
  targetLabel: string;
  /** The endpoint is a jump host on the way to the target. */
  isJump: boolean;
  attempts: number;
  elapsedMs: number;
  /** Auth methods tried, in order (no secrets). */
  authTried: string[];
}

export function describeConnectFailure(error: unknown, ctx: ConnectFailureContext): ConnectError {
  const { endpoint } = ctx;
  const via = !ctx.isJump ? "" : `jump host ${endpoint.label}: `;
  if (error instanceof ConnectError) {
    if (!via) return error;
    return new ConnectError(`${via}${error.message}`, { host: ctx.targetLabel, step: error.step, hint: error.hint, cause: error });
  }
  const err = error as { code?: string; level?: string; message?: string };
  const tries = ctx.attempts > 1 ? ` (${ctx.attempts} attempts over ${(ctx.elapsedMs / 1000).toFixed(1)} s)` : "";
  const make = (message: string, step: string, hint: string): ConnectError =>
    new ConnectError(`${via}${message}${tries}`, { host: ctx.targetLabel, step, hint, cause: error });

  if (err.level === "client-authentication") {
    const tried = ctx.authTried.length > 0 ? ctx.authTried.join(", ") : "nothing (no agent, no key file, no password)";
    return make(
      `authentication failed for ${endpoint.user}@${endpoint.host}:${endpoint.port}`,
      "auth",
      `tried: ${tried}. Pass --key or load your key into ssh-agent (ssh-add), and check that ${endpoint.user}'s authorized_keys on the host has it`,
    );
  }
  switch (err.code) {
    case "ECONNREFUSED":
      return make(`connection refused by ${endpoint.host}:${endpoint.port}`, "connect", `is sshd running on port ${endpoint.port}? is it the right port?`);
    case "ETIMEDOUT":
      return make(`timed out connecting to ${endpoint.host}:${endpoint.port}`, "connect", "is the host up, and is the port open through firewalls?");
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
    case "ENETDOWN":
      return make(`no route to ${endpoint.host}`, "connect", "check the address and this machine's network");
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return make(`cannot resolve host name ${endpoint.host}`, "connect", "check the inventory address or HostName in ~/.ssh/config");
    case "ECONNRESET":
      return make(
        `connection reset by ${endpoint.host}:${endpoint.port} during the handshake`,
        "connect",
        "sshd may be dropping connections (MaxStartups, tcp wrappers, fail2ban) or the host is rebooting",
      );
  }
  if (err.level === "client-timeout" || /timed out while waiting for handshake/i.test(err.message ?? "")) {
    return make(
      `no SSH handshake from ${endpoint.host}:${endpoint.port} in time`,
      "connect",
      "the port answers but no SSH server replied: overloaded host, wrong port, or raise readyTimeout",
    );
  }
  return make(`could not connect to ${endpoint.host}:${endpoint.port}: ${err.message ?? String(error)}`, "connect", "run again with -v for details");
}
