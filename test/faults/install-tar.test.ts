// The install hands the new system its SSH host key inside a ustar archive on stdin (deploys/install/container.ts,
// install.configure, used by the container and the VM path). A private key that lands world-readable is a key anyone
// on the host can steal: the archive's headers must say 0600 and root for private keys, 0644 for public ones, and the
// step's own command, run here over a fake deployment with umask 000 and stale world-readable keys, must leave them so.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { configureDeployment, type SystemConfig } from "../../deploys/install/container.js";
import { generateHostKey } from "../../deploys/install/host-keys.js";
import { fakeHost } from "../operations/support/fake-host.js";
import { tempDir } from "./support.js";

interface TarHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  type: string;
  uname: string;
  gname: string;
  magic: string;
}

const field = (block: Buffer, offset: number, length: number) => block.subarray(offset, offset + length).toString("latin1").replace(/\0.*$/s, "");
const octal = (block: Buffer, offset: number, length: number) => parseInt(field(block, offset, length).trim() || "0", 8);

/** Every header of a ustar archive, each checksum verified. */
function tarHeaders(archive: Buffer): TarHeader[] {
  const headers: TarHeader[] = [];
  for (let at = 0; at + 512 <= archive.length; ) {
    const block = archive.subarray(at, at + 512);
    if (block.every((b) => b === 0)) break;
    const stored = octal(block, 148, 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
    expect(sum, `checksum of the header at ${at}`).toBe(stored);
    const header = {
      name: field(block, 0, 100),
      mode: octal(block, 100, 8),
      uid: octal(block, 108, 8),
      gid: octal(block, 116, 8),
      size: octal(block, 124, 12),
      type: field(block, 156, 1),
      magic: field(block, 257, 6),
      uname: field(block, 265, 32),
      gname: field(block, 297, 32),
    };
    headers.push(header);
    at += 512 + Math.ceil(header.size / 512) * 512;
  }
  return headers;
}

describe("host keys inside the install's configuration tar", () => {
  const work = tempDir("tar");
  afterAll(() => work.remove());

  async function installStep() {
    const hostKey = await generateHostKey("root@t1 (pine install)");
    const config: SystemConfig = {
      node: 7,
      hostname: "t1",
      network: { iface: "eth0", currentIface: "eth0", ipv4: { address: "10.1.2.3", prefix: 24, gateway: "10.1.2.1" }, ipv6: null, deviceRoute: false, notes: [] },
      nameservers: ["10.1.2.1"],
      hostKey,
      authorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl operator"],
    };
    // The real operation, planned and run against a recording connector: what it sends is what a host would get.
    const fake = fakeHost([]);
    const result = await configureDeployment(fake.host, { root: "/.pine-staging/root", config, farm: "/dev/shm/pine-farm", keepOldKeys: false });
    expect(result.status).toBe("changed");
    const sent = fake.connector.commands.find((c) => c.stdin !== undefined)!;
    expect(sent, "install.configure sends its archive on stdin").toBeDefined();
    // The archive is plain ASCII (headers, OpenSSH armour, config text): the recorder's utf8 string holds it exactly.
    const archive = Buffer.from(sent.stdin!, "utf8");
    expect(archive.length % 512).toBe(0);
    expect(sent.command).not.toContain("PRIVATE KEY");
    return { archive, command: sent.command, hostKey };
  }

  test("the headers: private keys 0600 owned by root (uid/gid 0, uname/gname root), public keys 0644", async () => {
    const { archive, hostKey } = await installStep();
    const headers = tarHeaders(archive);
    const byName = new Map(headers.map((h) => [h.name, h]));
    for (const h of headers) expect(h.magic, h.name).toBe("ustar");
    const privateKeys = headers.filter((h) => h.type === "0" && /ssh_host_.*_key$/.test(h.name));
    const publicKeys = headers.filter((h) => h.type === "0" && /ssh_host_.*_key\.pub$/.test(h.name));
    expect(privateKeys.map((h) => h.name)).toEqual(["etc/ssh/ssh_host_ed25519_key"]);
    expect(publicKeys.map((h) => h.name)).toEqual(["etc/ssh/ssh_host_ed25519_key.pub"]);
    for (const h of privateKeys) expect({ name: h.name, mode: h.mode.toString(8), uid: h.uid, gid: h.gid, uname: h.uname, gname: h.gname }).toEqual({ name: h.name, mode: "600", uid: 0, gid: 0, uname: "root", gname: "root" });
    for (const h of publicKeys) expect({ name: h.name, mode: h.mode.toString(8), uid: h.uid, gid: h.gid }).toEqual({ name: h.name, mode: "644", uid: 0, gid: 0 });
    // root's authorized keys are a secret of the same kind (who may log in): 0600 too.
    expect(byName.get("etc/ssh/authorized_keys/root")).toMatchObject({ mode: 0o600, uid: 0, gid: 0 });
    // The private key in the archive is the generated one, whole.
    const offset = archive.indexOf("-----BEGIN OPENSSH PRIVATE KEY-----");
    expect(archive.subarray(offset, offset + hostKey.privateKey.length).toString("utf8")).toBe(hostKey.privateKey);
  });

  const notRoot = process.getuid?.() !== 0 ? "extracting with owners needs root" : undefined;
  if (notRoot) console.warn(`install tar extraction test skipped: ${notRoot}`);
  test.skipIf(notRoot !== undefined)("the step's command over a deployment with stale 0644 keys, umask 000, busybox tar: 0600/0644, root-owned", async () => {
    const { archive, command } = await installStep();
    const deployment = join(work.dir, "root/ostree/deploy/pine/deploy/0123abcd.0");
    mkdirSync(join(deployment, "etc/ssh"), { recursive: true });
    // What the old image shipped: a world-readable key the install must not inherit, owned by someone else.
    for (const name of ["ssh_host_ed25519_key", "ssh_host_rsa_key"]) writeFileSync(join(deployment, "etc/ssh", name), "stale\n", { mode: 0o644 });
    execFileSync("chown", ["65534:65534", join(deployment, "etc/ssh/ssh_host_ed25519_key")]);
    // The farm on PATH is busybox's link farm: here a directory whose `tar` is busybox's, as on the host.
    const farm = join(work.dir, "farm");
    mkdirSync(farm);
    execFileSync("ln", ["-s", "/bin/busybox", join(farm, "tar")]);
    const script = command.replaceAll("/.pine-staging/root", join(work.dir, "root")).replaceAll("/dev/shm/pine-farm", farm);
    const run = spawnSync("sh", ["-c", `umask 000; ${script}`], { input: archive, encoding: "utf8", timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const mode = (p: string) => statSync(join(deployment, p)).mode & 0o7777;
    const owner = (p: string) => `${statSync(join(deployment, p)).uid}:${statSync(join(deployment, p)).gid}`;
    expect(mode("etc/ssh/ssh_host_ed25519_key").toString(8)).toBe("600");
    expect(owner("etc/ssh/ssh_host_ed25519_key")).toBe("0:0");
    expect(mode("etc/ssh/ssh_host_ed25519_key.pub").toString(8)).toBe("644");
    expect(mode("etc/ssh/authorized_keys/root").toString(8)).toBe("600");
    expect(readFileSync(join(deployment, "etc/ssh/ssh_host_ed25519_key"), "utf8")).toContain("BEGIN OPENSSH PRIVATE KEY");
    // The stale keys of other types are gone, not left readable beside the new one.
    expect(() => statSync(join(deployment, "etc/ssh/ssh_host_rsa_key"))).toThrow(/ENOENT/);
  });
});
