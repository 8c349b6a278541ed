// ProxyJump through a second sshd, from options and from ~/.ssh/config; the jump host's key is verified too.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { SshConnector } from "../../src/connectors/ssh/index.js";
import { startSshd, type Sshd } from "../support/sshd.js";
import { rejection, sshOptions, testHome, type TestHome } from "./helpers.js";

let jump: Sshd;
let target: Sshd;
let home: TestHome;

beforeAll(async () => {
  target = await startSshd();
  // DEBUG1 logs each direct-tcpip forward, proving the traffic went through the jump host.
  jump = await startSshd({ authorize: [target.clientKeyPub], logLevel: "DEBUG1" });
  home = testHome([target.knownHostsLine, jump.knownHostsLine]);
});
afterAll(async () => {
  await jump?.stop();
  await target?.stop();
  home?.remove();
});

const forwards = () => jump.log().match(new RegExp(`server_request_direct_tcpip: .* target 127\\.0\\.0\\.1 port ${target.port}\\b`, "g"))?.length ?? 0;

test("jump option: the target is reached through the jump host", async () => {
  const before = forwards();
  const ssh = new SshConnector(sshOptions(target, home, { jump: `root@127.0.0.1:${jump.port}` }));
  try {
    expect((await ssh.exec("echo via jump")).stdout).toBe("via jump\n");
  } finally {
    await ssh.close();
  }
  expect(forwards()).toBe(before + 1);
});

test("ProxyJump, HostName, Port and User come from ssh config for an alias", async () => {
  const config = join(home.dir, "config");
  writeFileSync(
    config,
    [
      "Host web-behind-nat",
      "  HostName 127.0.0.1",
      `  Port ${target.port}`,
      "  User root",
      `  ProxyJump root@127.0.0.1:${jump.port}`,
      "",
    ].join("\n"),
  );
  const before = forwards();
  const { port: _port, user: _user, ...rest } = sshOptions(target, home);
  const ssh = new SshConnector({ ...rest, host: "web-behind-nat", name: "web-behind-nat", sshConfigPath: config });
  try {
    expect(ssh.target).toBe(`root@127.0.0.1:${target.port}`);
    expect((await ssh.exec("echo config")).stdout).toBe("config\n");
  } finally {
    await ssh.close();
  }
  expect(forwards()).toBe(before + 1);
});

test("an unknown jump host key is refused and the error says it was the jump host", async () => {
  const onlyTarget = testHome([target.knownHostsLine]);
  try {
    const ssh = new SshConnector(sshOptions(target, onlyTarget, { jump: `root@127.0.0.1:${jump.port}`, name: "web1" }));
    const error = await rejection(ssh.connect());
    expect(error).toMatchObject({ host: "web1", step: "host key" });
    expect(error.message).toMatch(new RegExp(`^jump host root@127\\.0\\.0\\.1:${jump.port}: host \\[127\\.0\\.0\\.1\\]:${jump.port} is not in`));
  } finally {
    onlyTarget.remove();
  }
});

test("a jump host that cannot reach the target: refused, named, retried like a direct refusal", async () => {
  const ssh = new SshConnector(
    sshOptions(target, home, { port: 1, jump: `root@127.0.0.1:${jump.port}`, retry: { attempts: 2, baseDelayMs: 50 } }),
  );
  const error = await rejection(ssh.connect());
  expect(error.step).toBe("connect");
  expect(error.message).toMatch(/connection refused by 127\.0\.0\.1:1 \(2 attempts/);
});
