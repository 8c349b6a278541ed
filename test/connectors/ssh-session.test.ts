// The shell session over a real sshd: the exec contract with `session: true` on every command, and what the session
// adds — one channel for many commands, isolation between commands, fallback to channels, recovery after a kill.
import { describe, expect, test } from "vitest";
import { ConnectError } from "../../src/errors.js";
import type { SshConnector } from "../../src/connectors/ssh/index.js";
import type { Connector, ExecOptions } from "../../src/connectors/types.js";
import { execContract } from "./exec-contract.js";
import { connectorFor, rejection, useConnectedSshd } from "./helpers.js";

const fixture = useConnectedSshd();

/** The same connector, every exec asking for the session. */
function inSession(connector: SshConnector): Connector {
  return new Proxy(connector, {
    get(target, key) {
      if (key === "exec") return (command: string, options: ExecOptions = {}) => target.exec(command, { ...options, session: true });
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe("ssh exec contract through the shell session", () => execContract(() => inSession(fixture.ssh)));

describe("shell session", () => {
  test("50 commands, one channel, in order, each isolated (cd, exit, variables, syntax errors)", async () => {
    const connector = connectorFor(fixture.sshd, fixture.home);
    try {
      const run = (command: string, options: ExecOptions = {}) => connector.exec(command, { ...options, session: true });
      const home0 = (await run("pwd")).stdout;
      expect((await run("cd /tmp; X=1; exit 3")).exitCode).toBe(3);
      expect((await run('pwd; echo "X=${X:-unset}"')).stdout).toBe(`${home0}X=unset\n`);
      expect((await run("if then fi (")).exitCode).toBe(2);
      for (let i = 0; i < 46; i++) expect((await run(`echo ${i}`)).stdout).toBe(`${i}\n`);
      expect(connector.stats.execs).toBe(50);
      expect(connector.stats.channels).toBe(1);
    } finally {
      await connector.close();
    }
  });

  test("output a background process prints between commands does not leak into the next one", async () => {
    const connector = connectorFor(fixture.sshd, fixture.home);
    try {
      await connector.exec("(sleep 0.2; echo late; echo late >&2) &", { session: true });
      await new Promise((resolve) => setTimeout(resolve, 400));
      const next = await connector.exec("echo mine", { session: true });
      expect(next).toMatchObject({ stdout: "mine\n", stderr: "", exitCode: 0 });
    } finally {
      await connector.close();
    }
  });

  test("a second command while one runs gets its own channel instead of waiting", async () => {
    const connector = connectorFor(fixture.sshd, fixture.home);
    try {
      await connector.exec("true", { session: true });
      const started = Date.now();
      const [slow, quick] = await Promise.all([connector.exec("sleep 1; echo slow", { session: true }), connector.exec("echo quick", { session: true })]);
      expect([slow.stdout, quick.stdout]).toEqual(["slow\n", "quick\n"]);
      expect(connector.stats.channels).toBe(2);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await connector.close();
    }
  });

  test("streams and stdin over 256 KiB go over a channel; small stdin through the session", async () => {
    const connector = connectorFor(fixture.sshd, fixture.home);
    try {
      expect((await connector.exec("wc -c", { session: true, stdin: Buffer.alloc(1000, 1) })).stdout.trim()).toBe("1000");
      expect(connector.stats.channels).toBe(1);
      expect((await connector.exec("wc -c", { session: true, stdin: Buffer.alloc(300 * 1024, 1) })).stdout.trim()).toBe(String(300 * 1024));
      expect(connector.stats.channels).toBe(2);
    } finally {
      await connector.close();
    }
  });

  test("after a timeout the command is killed and the next command gets a fresh session", async () => {
    const connector = connectorFor(fixture.sshd, fixture.home);
    try {
      const error = await rejection(connector.exec("sleep 78", { session: true, timeoutMs: 300 }));
      expect(error.message).toMatch(/timed out after 300 ms/);
      let left = "";
      for (let i = 0; i < 20; i++) {
        left = (await connector.exec("ps -eo args | grep -c '^sleep 78$' || true", { session: true })).stdout.trim();
        if (left === "0") break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(left).toBe("0");
      expect(connector.stats.channels).toBeGreaterThanOrEqual(2);
    } finally {
      await connector.close();
    }
  });

  test("a connection lost mid-command is a ConnectError naming the command; the next command reconnects", async () => {
    const connector = connectorFor(fixture.sshd, fixture.home);
    try {
      await connector.exec("true", { session: true });
      const pending = connector.exec("sleep 30", { session: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(fixture.sshd.killSessions()).toBeGreaterThan(0);
      const error = await rejection(pending);
      expect(error).toBeInstanceOf(ConnectError);
      expect(error).toMatchObject({ step: "exec", command: "sleep 30" });
      expect(error.message).toMatch(/connection lost while running a command/);
      expect((await connector.exec("echo back", { session: true })).stdout).toBe("back\n");
    } finally {
      await connector.close();
    }
  });

  test("startSessionWith: the old session's shell exits; the new one is the shell asked for, started at once, kept for later commands", async () => {
    const connector = connectorFor(fixture.sshd, fixture.home);
    try {
      const pid = (await connector.exec("echo $$", { session: true })).stdout.trim();
      await connector.startSessionWith("exec busybox sh");
      expect(connector.stats.channels).toBe(2);
      let alive = true;
      for (let i = 0; i < 50 && alive; i++) {
        alive = (await connector.exec(`kill -0 ${pid} 2>/dev/null && echo alive || echo gone`)).stdout.trim() === "alive";
        if (alive) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(alive).toBe(false);
      const channels = connector.stats.channels;
      for (let i = 0; i < 3; i++) expect((await connector.exec("readlink /proc/$$/exe", { session: true })).stdout.trim()).toMatch(/busybox$/);
      expect(connector.stats.channels).toBe(channels);
    } finally {
      await connector.close();
    }
  });

  test("a command that ends the session's shell (kill $$) reports how it ended; the next one opens a new session", async () => {
    const connector = connectorFor(fixture.sshd, fixture.home);
    try {
      const killed = await connector.exec("kill -TERM $$", { session: true });
      expect(killed).toMatchObject({ exitCode: null, signal: "SIGTERM" });
      expect((await connector.exec("echo again", { session: true })).stdout).toBe("again\n");
      expect(connector.stats.channels).toBe(2);
    } finally {
      await connector.close();
    }
  });
});
