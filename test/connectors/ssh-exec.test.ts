// SshConnector exec over a real sshd: the shared contract, plus one connection carrying many channels and a lost connection.
import { describe, expect, test } from "vitest";
import { ConnectError } from "../../src/errors.js";
import { execContract } from "./exec-contract.js";
import { rejection, useConnectedSshd } from "./helpers.js";

const fixture = useConnectedSshd();

describe("ssh exec contract", () => execContract(() => fixture.ssh));

describe("one connection, many channels", () => {
  test("20 parallel execs (beyond OpenSSH's MaxSessions 10) all succeed over one connection", async () => {
    const before = fixture.ssh.stats.execs;
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => fixture.ssh.exec(`sleep 0.3; echo ${i}`)));
    const ms = performance.now() - started;
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(fixture.ssh.stats.execs - before).toBe(20);
    expect(fixture.sshd.log().match(/Accepted publickey/g)).toHaveLength(1);
    expect(fixture.sshd.log()).not.toMatch(/open failed|no more sessions/i);
    console.log(`[measure] 20 parallel 0.3 s execs over one connection (8 channels at a time): ${ms.toFixed(0)} ms`);
  });

  test("sequential round trips reuse the connection", async () => {
    const n = 20;
    const started = performance.now();
    for (let i = 0; i < n; i++) await fixture.ssh.exec("true");
    const perExec = (performance.now() - started) / n;
    expect(fixture.sshd.log().match(/Accepted publickey/g)).toHaveLength(1);
    console.log(`[measure] exec round trip over one connection: ${perExec.toFixed(1)} ms (mean of ${n})`);
  });
});

describe("stopping commands", () => {
  test("a timed-out command is killed on the host, not just abandoned", async () => {
    await rejection(fixture.ssh.exec("sleep 77", { timeoutMs: 300 }));
    let left = "";
    for (let i = 0; i < 20; i++) {
      left = (await fixture.ssh.exec("ps -eo args | grep -c '^sleep 77$' || true")).stdout.trim();
      if (left === "0") break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(left).toBe("0");
  });
});

describe("lost connection", () => {
  test("sshd killed mid-command is a ConnectError naming the host and the command; the next exec reconnects", async () => {
    const running = fixture.ssh.exec("sleep 30");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fixture.sshd.killSessions()).toBeGreaterThan(0);
    const error = await rejection(running);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ host: fixture.ssh.target, step: "exec", command: "sleep 30" });
    expect(error.message).toMatch(/connection lost/);
    expect((await fixture.ssh.exec("echo back")).stdout).toBe("back\n");
    expect(fixture.sshd.log().match(/Accepted publickey/g)).toHaveLength(2);
  });
});
