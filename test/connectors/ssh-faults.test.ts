// Faults on a live connection: a silent peer caught by keepalives, a connection lost during an upload.
import { Readable } from "node:stream";
import { afterEach, expect, test } from "vitest";
import { ConnectError } from "../../src/errors.js";
import { startSshd, type Sshd } from "../support/sshd.js";
import { connectorFor, rejection, testHome, type TestHome } from "./helpers.js";

let sshd: Sshd | undefined;
let home: TestHome | undefined;
afterEach(async () => {
  sshd?.signalSessions("SIGCONT");
  await sshd?.stop();
  home?.remove();
});

test("a frozen peer (no TCP reset, no replies) is declared lost by keepalives, naming host and command", async () => {
  sshd = await startSshd();
  home = testHome([sshd.knownHostsLine]);
  const ssh = connectorFor(sshd, home, { keepaliveInterval: 200, keepaliveCountMax: 2, name: "frozen" });
  await ssh.connect();
  const running = ssh.exec("sleep 30");
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(sshd.signalSessions("SIGSTOP")).toBeGreaterThan(0);
  const started = Date.now();
  const error = await rejection(running);
  expect(error).toBeInstanceOf(ConnectError);
  expect(error).toMatchObject({ host: "frozen", step: "exec", command: "sleep 30" });
  expect(error.message).toMatch(/keepalive/i);
  expect(Date.now() - started).toBeLessThan(5_000);
  await ssh.close();
});

for (const sftp of [true, false]) {
  test(`connection lost during an upload (${sftp ? "SFTP" : "cat"}) is a ConnectError, not a hang`, async () => {
    sshd = await startSshd({ sftp });
    home = testHome([sshd.knownHostsLine]);
    const ssh = connectorFor(sshd, home);
    await ssh.connect();
    let sent = 0;
    const slow = new Readable({
      read() {
        sent += 1;
        setTimeout(() => this.push(Buffer.alloc(64 * 1024, 1)), 5);
      },
    });
    const upload = ssh.upload(slow, "/tmp/pine-fault-upload");
    await new Promise((resolve) => setTimeout(resolve, 400));
    sshd.killSessions();
    const error = await rejection(upload);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.step).toBe("upload");
    expect(sent).toBeGreaterThan(1);
    slow.destroy();
    await ssh.close();
  });
}
