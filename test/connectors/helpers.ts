// Test helpers: an SshConnector wired to a test sshd with its own temp home and known_hosts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SshConnector, type SshConnectorOptions } from "../../src/connectors/ssh/index.js";
import { afterAll, beforeAll } from "vitest";
import { startSshd, type Sshd } from "../support/sshd.js";

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

export interface ConnectedSshd {
  readonly sshd: Sshd;
  readonly home: TestHome;
  /** A connector already connected to `sshd`, closed after the file's tests. */
  readonly ssh: SshConnector;
}

/** For a test file: a test sshd, a home that trusts it and a connected connector (beforeAll), all stopped in afterAll. */
export function useConnectedSshd(): ConnectedSshd {
  let state: { sshd: Sshd; home: TestHome; ssh: SshConnector } | undefined;
  beforeAll(async () => {
    const sshd = await startSshd();
    const home = testHome([sshd.knownHostsLine]);
    const ssh = connectorFor(sshd, home);
    state = { sshd, home, ssh };
    await ssh.connect();
  });
  afterAll(async () => {
    await state?.ssh.close();
    await state?.sshd.stop();
    state?.home.remove();
  });
  const get = (): { sshd: Sshd; home: TestHome; ssh: SshConnector } => {
    if (!state) throw new Error("the test sshd is not up (its beforeAll failed or has not run)");
    return state;
  };
  return {
    get sshd() {
      return get().sshd;
    },
    get home() {
      return get().home;
    },
    get ssh() {
      return get().ssh;
    },
  };
}
