// Fault: a host comes back with another SSH host key (a reinstall, a swapped disk, or someone in the middle), through
// the real CLI. Lab hosts share this machine's kernel and are never rebooted for real: the "reboot" is h1's sshd killed
// by PID and started again with a new host key. Every path must refuse h1 and say why (which host, which fingerprints,
// which known_hosts line, what to do), never accept the new key silently, and leave known_hosts byte for byte as it was.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { labUp, type LabHostState } from "../../src/lab/index.js";
import { runPine } from "../support/cli.js";
import { labSkipReason, useLab } from "../support/lab.js";
import { killSshd, startPine, tempDir, waitFor, writeDeploy } from "./support.js";

const labSkip = await labSkipReason();

// FAULT_MODE "put": one file per host. "reboot": server.reboot whose command only leaves a marker (the test then
// restarts h1's sshd with a new key); FAULT_PIN, when set, is the host key pine was told the host will come back with.
const DEPLOY = `
import { defineDeploy, files, server } from "PINE_API";
const dir = process.env.FAULT_DIR!;
export default defineDeploy({
  name: "keys",
  async run(host) {
    if (process.env.FAULT_MODE === "reboot") {
      const pin = process.env.FAULT_PIN;
      await server.reboot(host, { command: \`touch \${dir}/rebooting\`, timeoutMs: 6_000, settleMs: 300, pollMs: 300, allowController: true, ...(pin ? { hostKey: pin } : {}) });
    } else {
      await files.put(host, { path: \`\${dir}/\${host.name}.done\`, content: "done\\n" });
    }
  },
});
`;

describe.skipIf(labSkip !== undefined)("a host back with another host key (CLI)", () => {
  const lab = useLab({ name: "fkey", hosts: 2 });
  const work = tempDir("key");
  let knownHosts: string;
  let inventory: string;
  let deploy: string;
  let h1: LabHostState;
  let original: LabHostState;

  beforeAll(() => {
    // pine's own copy of the lab's known_hosts (the lab rewrites its file when a host gets a new key): what must not change.
    knownHosts = join(work.dir, "known_hosts");
    copyFileSync(lab.state.knownHosts, knownHosts);
    inventory = join(work.dir, "inventory.yaml");
    const hosts = lab.state.hosts.map((h) => `  ${h.name}: { address: ${h.address} }`).join("\n");
    writeFileSync(inventory, `defaults:\n  user: root\n  key: ${lab.state.key}\n  knownHosts: ${knownHosts}\n  connectTimeout: 5\nhosts:\n${hosts}\n`);
    deploy = writeDeploy(work.dir, "keys.mts", DEPLOY);
    original = lab.state.hosts[0]!;
    h1 = original;
  });
  afterAll(() => work.remove());

  /** h1's sshd killed by PID and started again (labUp) with a freshly generated host key; returns its new state. */
  async function newHostKey(): Promise<LabHostState> {
    expect(killSshd(h1)).toBeGreaterThanOrEqual(1);
    const keyFile = join(lab.dir, "hosts", "h1", "ssh_host_ed25519_key");
    rmSync(keyFile, { force: true });
    rmSync(`${keyFile}.pub`, { force: true });
    const state = await labUp({ name: "fkey", hosts: 2, dir: lab.dir });
    h1 = state.hosts[0]!;
    expect(h1.sshdPid).not.toBe(original.sshdPid);
    expect(h1.hostKeyFingerprint).not.toBe(original.hostKeyFingerprint);
    return h1;
  }

  function expectExplainedRefusal(text: string, file: string) {
    expect(text).toMatch(/\bh1\b/);
    expect(text).toContain(`HOST KEY MISMATCH for ${original.address}`);
    // Which key was expected, from which known_hosts line, and which one the host offered.
    expect(text).toContain(`known_hosts expects ssh-ed25519 ${original.hostKeyFingerprint} (${file}:1)`);
    expect(text).toContain(`the host offered ssh-ed25519 ${h1.hostKeyFingerprint}`);
    // What to do about it.
    expect(text).toMatch(/intercepting the connection, or the host was reinstalled/);
    expect(text).toContain(`ssh-keygen -R '${original.address}' -f ${file}`);
  }

  test("exec, facts and a deploy after h1 came back with a new key: refused and explained, strict and accept-new, plain and hashed known_hosts", async () => {
    const before = await runPine(["exec", inventory, "--", "hostname"]);
    expect(before.code, before.stderr).toBe(0);
    await newHostKey();
    const text = readFileSync(knownHosts, "utf8");

    for (const mode of ["strict", "accept-new"]) {
      const r = await runPine(["exec", inventory, "--host-key-check", mode, "--", "hostname"]);
      expect(r.code, mode).toBe(1);
      expect(r.stdout).toContain("=== h2 (exit 0) ===\nh2\n");
      expect(r.stdout).not.toContain("=== h1");
      expectExplainedRefusal(r.stderr, knownHosts);
      expect(readFileSync(knownHosts, "utf8")).toBe(text);
    }

    const facts = await runPine(["facts", inventory, "server.hostname", "--json"]);
    expect(facts.code).toBe(1);
    const doc = JSON.parse(facts.stdout) as { hosts: Record<string, unknown>; errors: Record<string, string> };
    expect(Object.keys(doc.hosts)).toEqual(["h2"]);
    expectExplainedRefusal(doc.errors.h1!, knownHosts);
    expect(doc.errors.h1).toContain("step: host key");

    const dir = join(work.dir, "put");
    mkdirSync(dir);
    const put = await runPine(["deploy", inventory, deploy, "--json"], { env: { FAULT_DIR: dir } });
    expect(put.code).toBe(1);
    expect(existsSync(join(dir, "h1.done"))).toBe(false);
    expect(existsSync(join(dir, "h2.done"))).toBe(true);
    expect(put.stdout).toContain(`"host":"h1"`);
    expect(put.stdout).toContain("HOST KEY MISMATCH");
    expect(readFileSync(knownHosts, "utf8")).toBe(text);

    // Hashed known_hosts (HashKnownHosts yes): the old entry must still be found, so the new key is a mismatch, not an
    // unknown host that accept-new would append.
    const hashed = join(work.dir, "known_hosts_hashed");
    copyFileSync(knownHosts, hashed);
    execFileSync("ssh-keygen", ["-q", "-H", "-f", hashed], { timeout: 10_000, stdio: "ignore" });
    rmSync(`${hashed}.old`, { force: true });
    const hashedText = readFileSync(hashed, "utf8");
    expect(hashedText).toMatch(/^\|1\|/);
    expect(hashedText).not.toContain(original.address);
    const r = await runPine(["exec", inventory, "--known-hosts", hashed, "--host-key-check", "accept-new", "--", "hostname"]);
    expect(r.code).toBe(1);
    expectExplainedRefusal(r.stderr, hashed);
    expect(readFileSync(hashed, "utf8")).toBe(hashedText);
  });

  async function rebootInto(pin: string | undefined) {
    const dir = join(work.dir, `reboot-${pin ? "pinned" : "known"}`);
    mkdirSync(dir);
    const text = readFileSync(knownHosts, "utf8");
    // Trust h1's current key for this run (pine's copy), so the only change is the one the "reboot" brings.
    const current = join(dir, "known_hosts");
    writeFileSync(current, `${h1.address} ${h1.hostKey.split(" ").slice(0, 2).join(" ")}\n`);
    const trusted = h1;
    const pine = startPine(["deploy", inventory, deploy, "--limit", "h1", "--known-hosts", current, "--json"], { FAULT_DIR: dir, FAULT_MODE: "reboot", ...(pin ? { FAULT_PIN: pin } : {}) });
    await waitFor(() => existsSync(join(dir, "rebooting")), 30_000, "the reboot command to run on h1");
    await newHostKey();
    const code = await pine.exit(60_000);
    expect(readFileSync(knownHosts, "utf8")).toBe(text);
    return { code, stdout: pine.stdout(), current, currentText: readFileSync(current, "utf8"), trusted };
  }

  test("server.reboot, the host back with another key: polled to the deadline, refused with the mismatch as the last check", async () => {
    const { code, stdout, current, currentText, trusted } = await rebootInto(undefined);
    expect(code).toBe(1);
    const failed = stdout.split("\n").find((l) => l.includes(`"type":"host:failed"`))!;
    expect(failed).toContain(`"step":"server.reboot"`);
    expect(failed).toMatch(/did not come back in a new boot within 6s/);
    expect(failed).toContain(`last check: `);
    expect(failed).toContain(`HOST KEY MISMATCH for ${trusted.address}: known_hosts expects ssh-ed25519 ${trusted.hostKeyFingerprint} (${current}:1); the host offered ssh-ed25519 ${h1.hostKeyFingerprint}`);
    expect(currentText).toBe(`${trusted.address} ${trusted.hostKey.split(" ").slice(0, 2).join(" ")}\n`);
  });

  test("server.reboot with the key pine installed pinned, the host back with a different one: refused as not the pinned key", async () => {
    // The key pine "installed": a fresh pair the host never gets.
    const pinned = join(work.dir, "pinned");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", pinned], { timeout: 10_000 });
    const pin = readFileSync(`${pinned}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
    const pinnedPrint = execFileSync("ssh-keygen", ["-l", "-f", `${pinned}.pub`], { encoding: "utf8" }).split(" ")[1]!;
    const { code, stdout, currentText, trusted } = await rebootInto(pin);
    expect(code).toBe(1);
    const failed = stdout.split("\n").find((l) => l.includes(`"type":"host:failed"`))!;
    expect(failed).toContain(`"step":"server.reboot"`);
    expect(failed).toContain(`host key is not the pinned one: expected ssh-ed25519 ${pinnedPrint}, the host offered ssh-ed25519 ${h1.hostKeyFingerprint}`);
    // Neither the pinned key nor the offered one was written to known_hosts.
    expect(currentText).toBe(`${trusted.address} ${trusted.hostKey.split(" ").slice(0, 2).join(" ")}\n`);
  });
});
