// Host key verification against a real sshd: strict, accept-new, off, hashed and [host]:port entries, @revoked, pinned keys.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { ConnectError } from "../../src/errors.js";
import { fingerprint, parsePublicKey } from "../../src/connectors/ssh/known-hosts.js";
import type { SshConnectorOptions } from "../../src/connectors/ssh/index.js";
import { startSshd, type Sshd } from "../support/sshd.js";
import { connectorFor, rejection, testHome, type TestHome } from "./helpers.js";

let sshd: Sshd;
let other: string; // another ed25519 public key, "ssh-ed25519 AAAA..."
let homes: TestHome[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  const home = testHome();
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(home.dir, "other")]);
  other = readFileSync(join(home.dir, "other.pub"), "utf8").split(" ").slice(0, 2).join(" ");
  home.remove();
});
afterAll(async () => sshd?.stop());
afterEach(() => {
  for (const home of homes) home.remove();
  homes = [];
});

function home(lines: string[] = []): TestHome {
  const made = testHome(lines);
  homes.push(made);
  return made;
}

async function connect(h: TestHome, overrides: Partial<SshConnectorOptions> = {}) {
  const connector = connectorFor(sshd, h, overrides);
  try {
    await connector.connect();
    return (await connector.exec("echo in")).stdout;
  } finally {
    await connector.close();
  }
}

const hostFingerprint = () => fingerprint(parsePublicKey(sshd.hostKeyPub));

test("strict: a [127.0.0.1]:PORT entry lets us in", async () => {
  expect(await connect(home([sshd.knownHostsLine]))).toBe("in\n");
});

test("strict: a hashed entry (ssh-keygen -H) lets us in", async () => {
  const h = home([sshd.knownHostsLine]);
  execFileSync("ssh-keygen", ["-H", "-f", h.knownHosts], { stdio: "ignore" });
  expect(readFileSync(h.knownHosts, "utf8")).toMatch(/^\|1\|/);
  expect(await connect(h)).toBe("in\n");
});

test("strict: an unknown host is refused at once, with the fingerprint and how to add it", async () => {
  const h = home(["# nothing yet"]);
  const started = Date.now();
  const error = await rejection(connect(h, { retry: { attempts: 4 } }));
  expect(error).toBeInstanceOf(ConnectError);
  expect(error.step).toBe("host key");
  expect(error.message).toContain(`[127.0.0.1]:${sshd.port} is not in ${h.knownHosts}`);
  expect(error.message).toContain(hostFingerprint());
  expect(error.hint).toContain(`ssh-keyscan -p ${sshd.port} -t ed25519 127.0.0.1 >> ${h.knownHosts}`);
  expect(error.hint).toContain("--host-key-check accept-new");
  expect(Date.now() - started).toBeLessThan(3_000); // not retried
  expect(sshd.log()).not.toMatch(/Accepted publickey.*\n.*Accepted publickey/);
});

test("strict: a plain-port entry does not vouch for another port", async () => {
  const error = await rejection(connect(home([`127.0.0.1 ${sshd.hostKeyPub}`])));
  expect(error.step).toBe("host key");
});

test("a changed key is a hard failure naming expected and offered keys and ssh-keygen -R", async () => {
  const h = home([`[127.0.0.1]:${sshd.port} ${other}`]);
  for (const mode of ["strict", "accept-new"] as const) {
    const error = await rejection(connect(h, { hostKeyCheck: mode }));
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.step).toBe("host key");
    expect(error.message).toContain("HOST KEY MISMATCH");
    expect(error.message).toContain(`expects ssh-ed25519 ${fingerprint(parsePublicKey(other))} (${h.knownHosts}:1)`);
    expect(error.message).toContain(`offered ssh-ed25519 ${hostFingerprint()}`);
    expect(error.hint).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd.port}' -f ${h.knownHosts}`);
  }
  expect(readFileSync(h.knownHosts, "utf8")).toBe(`[127.0.0.1]:${sshd.port} ${other}\n`);
});

test("@revoked refuses the key even next to a line that trusts it", async () => {
  const error = await rejection(connect(home([sshd.knownHostsLine, `@revoked * ${sshd.hostKeyPub}`])));
  expect(error.step).toBe("host key");
  expect(error.message).toMatch(/@revoked/);
});

test("@cert-authority alone is recognised and explained: pine does not verify host certificates", async () => {
  const error = await rejection(connect(home([`@cert-authority * ${other}`])));
  expect(error.message).toMatch(/cert-authority.*does not verify host certificates/);
});

test("accept-new appends exactly one line and keeps the file byte-for-byte; the next strict connect uses it", async () => {
  const original = `# my hosts\n|1|abc=|def= ssh-ed25519 ${other.split(" ")[1]}\nweb9 ${other}`; // no trailing newline on purpose
  const h = home();
  writeFileSync(h.knownHosts, original, { mode: 0o644 });
  expect(await connect(h, { hostKeyCheck: "accept-new" })).toBe("in\n");
  const after = readFileSync(h.knownHosts, "utf8");
  expect(after.startsWith(original)).toBe(true);
  expect(after.slice(original.length)).toBe(`\n${sshd.knownHostsLine}\n`);
  expect(await connect(h, { hostKeyCheck: "accept-new" })).toBe("in\n");
  expect(await connect(h)).toBe("in\n");
  expect(readFileSync(h.knownHosts, "utf8")).toBe(after);
  expect(statSync(h.knownHosts).mode & 0o777).toBe(0o644); // not ours to change
});

test("accept-new creates a missing known_hosts (and its directory) with 0600", async () => {
  const h = home();
  const path = join(h.dir, "new", "known_hosts");
  expect(await connect(h, { hostKeyCheck: "accept-new", knownHostsPath: path })).toBe("in\n");
  expect(readFileSync(path, "utf8")).toBe(`${sshd.knownHostsLine}\n`);
  expect(statSync(path).mode & 0o777).toBe(0o600);
});

test("off accepts an unknown host and writes nothing", async () => {
  const h = home();
  expect(await connect(h, { hostKeyCheck: "off" })).toBe("in\n");
  expect(() => statSync(h.knownHosts)).toThrow();
});

test("a pinned key is the only key accepted, and is then recorded in known_hosts", async () => {
  const h = home([`[127.0.0.1]:${sshd.port} ${other}`]); // the old key, before a reinstall
  expect(await connect(h, { hostKey: sshd.hostKeyPub })).toBe("in\n");
  expect(readFileSync(h.knownHosts, "utf8")).toBe(`[127.0.0.1]:${sshd.port} ${other}\n${sshd.knownHostsLine}\n`);
  expect(await connect(h, { hostKey: sshd.hostKeyPub })).toBe("in\n"); // not recorded twice
  expect(readFileSync(h.knownHosts, "utf8").split("\n")).toHaveLength(3);

  const trusted = home([sshd.knownHostsLine]);
  const error = await rejection(connect(trusted, { hostKey: other }));
  expect(error.step).toBe("host key");
  expect(error.message).toContain(`expected ssh-ed25519 ${fingerprint(parsePublicKey(other))}`);
});
