// After the reboot: is the host healthy on the target? First the booted commit (no waiting: a wrong commit will not
// become right), then the user's checks, each retried until it passes, all within one time limit.
import { connect } from "node:net";
import type { HostContext } from "../../src/host.js";
import { quote } from "../../src/shell.js";
import { status } from "../../facts/ostree/status.js";
import type { HealthCheck } from "./config.js";
import { short } from "./target.js";

const RETRY_MS = 1000;

export function describeCheck(check: HealthCheck): string {
  if ("command" in check) return `\`${check.command}\``;
  if ("service" in check) return `service ${check.service} running`;
  return `TCP port ${check.address ? `${check.address}:` : ""}${check.port} answering`;
}

/** Why the host is not healthy, or null when it is. */
export async function checkHealth(host: HostContext, commit: string, checks: readonly HealthCheck[], timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  host.invalidate("ostree.*");
  const booted = (await host.fact(status)).find((d) => d.booted);
  if (booted?.commit !== commit) return `the host booted ${booted ? short(booted.commit) : "no OSTree deployment"}, not the target ${short(commit)}`;
  for (const check of checks) {
    const problem = await untilPasses(host, check, deadline);
    if (problem) return `health check ${describeCheck(check)} failed: ${problem}`;
  }
  return null;
}

/** The last failure after retrying until the deadline, or null once the check passed. */
async function untilPasses(host: HostContext, check: HealthCheck, deadline: number): Promise<string | null> {
  let last = "not run: no time left";
  let tries = 0;
  while (tries === 0 || Date.now() < deadline) {
    tries++;
    const left = Math.max(1000, deadline - Date.now());
    last = "port" in check ? await probePort(check.address ?? host.address, check.port, Math.min(left, 5000)) : await probeOnHost(host, check, left);
    if (last === "") return null;
    if (Date.now() + RETRY_MS >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
  return `${last} (${tries} tr${tries === 1 ? "y" : "ies"})`;
}

/** A service is running by whichever answer the host can give: OpenRC, systemd, an init.d script, else a process of that name. */
export function serviceProbe(name: string): string {
  const n = quote(name);
  return [
    `if command -v rc-service >/dev/null 2>&1 && [ -e /etc/init.d/${name} ]; then rc-service ${n} status`,
    `elif command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl is-active --quiet ${n}`,
    `elif [ -x /etc/init.d/${name} ]; then /etc/init.d/${name} status`,
    `else pidof ${n} >/dev/null; fi`,
  ].join("\n");
}

async function probeOnHost(host: HostContext, check: { command: string } | { service: string }, leftMs: number): Promise<string> {
  const script = "command" in check ? check.command : serviceProbe(check.service);
  try {
    const result = await host.exec(`( ${script}\n) </dev/null`, { timeoutMs: Math.min(leftMs, 30_000) });
    if (result.exitCode === 0) return "";
    const said = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-3).join(" | ").slice(0, 300);
    return `exit ${result.exitCode ?? "none (timed out)"}${said ? `: ${said}` : ""}`;
  } catch (error) {
    return (error as Error).message.split("\n")[0]!;
  }
}

/** "" once a TCP connection is accepted, else why not. */
function probePort(address: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (why: string): void => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer from ${address}:${port} within ${Math.round(timeoutMs / 1000)}s`));
    socket.once("connect", () => done(""));
    socket.once("error", (error) => done(`${address}:${port}: ${error.message}`));
  });
}
