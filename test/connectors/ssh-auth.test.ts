// Authentication and connecting: ssh-agent, encrypted keys asked once, clear failures, bounded retries, the handshake cap.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ConnectError } from "../../src/errors.js";
import { HandshakeLimiter, SecretCache, SshConnector } from "../../src/connectors/ssh/index.js";
import { startSshd, type Sshd } from "../support/sshd.js";
import { connectorFor, rejection, sshOptions, testHome, type TestHome } from "./helpers.js";

const PASSPHRASE = "canary-passphrase-9f3a";
let sshd: Sshd;
let home: TestHome;

beforeAll(async () => {
  sshd = await startSshd({ passphrase: PASSPHRASE });
  home = testHome([sshd.knownHostsLine]);
});
afterAll(async () => {
  await sshd?.stop();
  home?.remove();
});

describe("ssh-agent", () => {
  let agent: ChildProcess;
  let agentDir: string;
  let socket: string;

  beforeAll(async () => {
    agentDir = mkdtempSync(join(tmpdir(), "pine-agent-"));
    socket = join(agentDir, "agent.sock");
    agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
    for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    execFileSync("ssh-add", ["-q", sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: "ignore" });
  });
  afterAll(() => {
    if (agent?.pid) process.kill(agent.pid, "SIGTERM");
    rmSync(agentDir, { recursive: true, force: true });
  });

  test("logs in with a key held only by the agent", async () => {
    const ssh = connectorFor(sshd, home, { key: undefined, agent: socket });
    try {
      expect((await ssh.exec("echo agent")).stdout).toBe("agent\n");
    } finally {
      await ssh.close();
    }
  });
});

describe("key files", () => {
  test("an encrypted key's passphrase is asked once for two connections sharing a SecretCache", async () => {
    const secrets = new SecretCache();
    const prompts: string[] = [];
    const askSecret = async (prompt: string) => {
      prompts.push(prompt);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return PASSPHRASE;
    };
    const a = connectorFor(sshd, home, { key: sshd.encryptedClientKey!, askSecret, secrets });
    const b = connectorFor(sshd, home, { key: sshd.encryptedClientKey!, askSecret, secrets });
    try {
      await Promise.all([a.connect(), b.connect()]);
      expect((await a.exec("echo a")).stdout + (await b.exec("echo b")).stdout).toBe("a\nb\n");
      expect(prompts).toEqual([`Passphrase for ${sshd.encryptedClientKey}: `]);
      expect(JSON.stringify({ secrets })).not.toContain(PASSPHRASE);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("a wrong passphrase fails auth, says so, and never shows the secret", async () => {
    const wrong = "canary-wrong-7c1e";
    let asked = 0;
    const ssh = connectorFor(sshd, home, { key: sshd.encryptedClientKey!, askSecret: async () => (asked++, wrong) });
    const error = await rejection(ssh.connect());
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.step).toBe("auth");
    expect(error.hint).toMatch(/wrong passphrase 3 times/);
    expect(asked).toBe(3);
    const everything = `${(error as unknown as ConnectError).describe()} ${error.stack} ${JSON.stringify(error)}`;
    expect(everything).not.toContain(wrong);
  });

  test("no agent, no key: auth fails naming what was tried and what to do; not retried", async () => {
    const ssh = connectorFor(sshd, home, { key: undefined, retry: { attempts: 4 } });
    const started = Date.now();
    const error = await rejection(ssh.connect());
    expect(error).toMatchObject({ step: "auth" });
    expect(error.message).toContain(`authentication failed for root@127.0.0.1:${sshd.port}`);
    expect(error.hint).toMatch(/tried: nothing .*Pass --key or load your key into ssh-agent/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  test("an unauthorised key: auth fails listing the key that was tried", async () => {
    const other = testHome();
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(other.dir, "id_ed25519")]);
    try {
      const error = await rejection(connectorFor(sshd, home, { key: join(other.dir, "id_ed25519") }).connect());
      expect(error.step).toBe("auth");
      expect(error.hint).toContain(`tried: key ${join(other.dir, "id_ed25519")}`);
    } finally {
      other.remove();
    }
  });

  test("default keys: ~/.ssh/id_ed25519 is used when no key is given", async () => {
    const h = testHome([sshd.knownHostsLine]);
    try {
      execFileSync("mkdir", ["-p", join(h.dir, ".ssh")]);
      execFileSync("cp", [sshd.clientKey, join(h.dir, ".ssh", "id_ed25519")]);
      const ssh = connectorFor(sshd, h, { key: undefined });
      expect((await ssh.exec("echo default")).stdout).toBe("default\n");
      await ssh.close();
    } finally {
      h.remove();
    }
  });
});

describe("connecting", () => {
  test("connection refused: retried with back-off, then a ConnectError with a hint, in bounded time", async () => {
    const port = await closedPort();
    const ssh = new SshConnector({ ...sshOptions(sshd, home), port, retry: { attempts: 3, baseDelayMs: 200, totalMs: 5_000 } });
    const started = Date.now();
    const error = await rejection(ssh.connect());
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ step: "connect", host: `root@127.0.0.1:${port}` });
    expect(error.message).toMatch(/connection refused by 127\.0\.0\.1:\d+ \(3 attempts over/);
    expect(error.hint).toBe(`is sshd running on port ${port}? is it the right port?`);
    expect(elapsed).toBeLessThan(2_000); // back-off ceilings 200 + 400 ms
    console.log(`[measure] refused connection: 3 attempts in ${elapsed} ms`);
  });

  test("a shared HandshakeLimiter caps concurrent handshakes across hosts", async () => {
    const limiter = new HandshakeLimiter(2);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, limiter.active)), 5);
    const connectors = Array.from({ length: 6 }, () => connectorFor(sshd, home, { handshakeLimiter: limiter }));
    try {
      await Promise.all(connectors.map((c) => c.connect()));
    } finally {
      clearInterval(sampler);
      await Promise.all(connectors.map((c) => c.close()));
    }
    expect(peak).toBe(2);
    expect(limiter.active + limiter.waiting).toBe(0);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
