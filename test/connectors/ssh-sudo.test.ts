// sudo wrapping against a stand-in `sudo` (first on the session's PATH) that speaks sudo -S -p: prompt on stderr, password on stdin.
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { SecretCache } from "../../src/connectors/ssh/index.js";
import { startSshd, type Sshd } from "../support/sshd.js";
import { countedStream } from "./exec-contract.js";
import { connectorFor, rejection, testHome, type TestHome } from "./helpers.js";

const PASSWORD = "canary-sudo-5b7d";
let sshd: Sshd;
let home: TestHome;
let binDir: string;

beforeAll(async () => {
  home = testHome();
  binDir = home.dir;
  // Like sudo -S: print the -p prompt on stderr, read one line from stdin, 3 tries; log argv so the test can inspect it.
  writeFileSync(
    join(binDir, "sudo"),
    `#!/bin/sh
printf '%s\\n' "$*" >> ${binDir}/argv.log
while [ $# -gt 0 ]; do case "$1" in -p) prompt=$2; shift 2;; -u) user=$2; shift 2;; --) shift; break;; *) shift;; esac; done
if [ ! -e ${binDir}/nopasswd ]; then
  tries=0
  while :; do
    printf '%s' "$prompt" >&2
    IFS= read -r line || exit 1
    [ "$line" = "$(cat ${binDir}/password)" ] && break
    tries=$((tries + 1)); echo "Sorry, try again." >&2
    [ $tries -ge 3 ] && exit 1
  done
fi
SUDO_USER_TARGET=$user exec "$@"
`,
  );
  chmodSync(join(binDir, "sudo"), 0o755);
  writeFileSync(join(binDir, "password"), `${PASSWORD}\n`);
  sshd = await startSshd({ extraConfig: [`SetEnv PATH=${binDir}:/usr/bin:/bin`] });
  writeFileSync(home.knownHosts, `${sshd.knownHostsLine}\n`);
});
afterAll(async () => {
  await sshd?.stop();
  home?.remove();
});

test("password asked once for two hosts and many commands; stdin data reaches the command, not sudo", async () => {
  const secrets = new SecretCache();
  let asked = 0;
  const sudo = { user: "nobody", password: async () => (asked++, PASSWORD) };
  const a = connectorFor(sshd, home, { sudo, secrets });
  const b = connectorFor(sshd, home, { sudo, secrets });
  try {
    const [ra, rb] = await Promise.all([a.exec("echo $SUDO_USER_TARGET; cat", { stdin: "data-a" }), b.exec("cat", { stdin: "data-b" })]);
    expect(ra).toMatchObject({ stdout: "nobody\ndata-a", stderr: "", exitCode: 0 });
    expect(rb).toMatchObject({ stdout: "data-b", stderr: "", exitCode: 0 });
    const streamed = countedStream(8 << 20);
    expect((await a.exec("sha256sum", { stdin: streamed.stream })).stdout.split(" ")[0]).toBe(streamed.digest());
    expect((await b.exec("echo 'quoted $HOME'; exit 3")).exitCode).toBe(3);
    expect(asked).toBe(1);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
  const argv = readFileSync(join(binDir, "argv.log"), "utf8");
  expect(argv).toContain("-H -S -p pine-sudo-password-");
  expect(argv).not.toContain(PASSWORD);
});

test("the shell session runs under one sudo: one prompt, many commands as the sudo user, stdin bytes intact", async () => {
  let asked = 0;
  const ssh = connectorFor(sshd, home, { sudo: { user: "nobody", password: async () => (asked++, PASSWORD) } });
  try {
    for (let i = 0; i < 5; i++) expect((await ssh.exec(`echo $SUDO_USER_TARGET ${i}`, { session: true })).stdout).toBe(`nobody ${i}\n`);
    expect((await ssh.exec("cat", { session: true, stdin: "data-s" })).stdout).toBe("data-s");
    expect(ssh.stats.channels).toBe(1);
    expect(asked).toBe(1);
  } finally {
    await ssh.close();
  }
  const wrong = connectorFor(sshd, home, { sudo: { user: "nobody", password: async () => "canary-wrong-sudo" } });
  try {
    const error = await rejection(wrong.exec("true", { session: true, timeoutMs: 10_000 }));
    expect(error.message).toBe("sudo rejected the password");
    expect(JSON.stringify({ ...error, d: (error as unknown as { describe(): string }).describe() })).not.toContain("canary-wrong-sudo");
  } finally {
    await wrong.close();
  }
});

test("a wrong password fails clearly without looping or leaking", async () => {
  const ssh = connectorFor(sshd, home, { sudo: { user: "nobody", password: async () => "canary-wrong-sudo" } });
  try {
    const error = await rejection(ssh.exec("true", { timeoutMs: 10_000 }));
    expect(error.message).toBe("sudo rejected the password");
    expect(JSON.stringify({ ...error, d: (error as unknown as { describe(): string }).describe() })).not.toContain("canary-wrong-sudo");
  } finally {
    await ssh.close();
  }
});

test("sudo wanting a password with none configured fails at once with a hint", async () => {
  const ssh = connectorFor(sshd, home, { sudo: { user: "nobody" } });
  try {
    const error = await rejection(ssh.exec("true", { timeoutMs: 10_000 }));
    expect(error.message).toBe("sudo asked for a password and none was configured");
    expect(error.hint).toMatch(/NOPASSWD/);
  } finally {
    await ssh.close();
  }
});

test("NOPASSWD: no prompt, the password is never asked for, uploads go through sudo", async () => {
  writeFileSync(join(binDir, "nopasswd"), "");
  let asked = 0;
  const ssh = connectorFor(sshd, home, { sudo: { user: "nobody", password: async () => (asked++, PASSWORD) } });
  try {
    expect((await ssh.exec("cat", { stdin: "plain" })).stdout).toBe("plain");
    const before = readFileSync(join(binDir, "argv.log"), "utf8").length;
    await ssh.upload("via sudo", join(binDir, "uploaded"), { mode: 0o600 });
    expect(readFileSync(join(binDir, "uploaded"), "utf8")).toBe("via sudo");
    expect(readFileSync(join(binDir, "argv.log"), "utf8").slice(before)).toContain("cat >");
    expect(asked).toBe(0);
  } finally {
    await ssh.close();
  }
});
