// Test helpers: an SshConnector wired to a test sshd with its own temp home and known_hosts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SshConnector, type SshConnectorOptions } from "../../src/connectors/ssh/index.js";
import type { Sshd } from "../support/sshd.js";

export interface TestHome {
  dir: string;
  knownHosts: string;
  remove(): void;
}

/** A temp directory standing in for ~ (no ~/.ssh keys, no ssh config), with a known_hosts holding `lines`. */
export function testHome(lines: string[] = []): TestHome {
  const dir = mkdtempSync(join(tmpdir(), "pine-home-"));
  const knownHosts = join(dir, "known_hosts");
  if (lines.length > 0) writeFileSync(knownHosts, `${lines.join("\n")}\n`);
  return { dir, knownHosts, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Options for connecting to `sshd` with its client key and a known_hosts that trusts it; override anything. */
export function sshOptions(sshd: Sshd, home: TestHome, overrides: Partial<SshConnectorOptions> = {}): SshConnectorOptions {
  return {
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    key: sshd.clientKey,
    agent: false,
    sshConfigPath: false,
    homeDir: home.dir,
    knownHostsPath: home.knownHosts,
    retry: { attempts: 1 },
    ...overrides,
  };
}

export function connectorFor(sshd: Sshd, home: TestHome, overrides: Partial<SshConnectorOptions> = {}): SshConnector {
  return new SshConnector(sshOptions(sshd, home, overrides));
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected a rejection, but the promise resolved");
}
