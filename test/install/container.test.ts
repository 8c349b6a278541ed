// The hijack install's container path end to end: Debian lab containers (systemd under nspawn, real sshd) are
// replaced by pine OS from the test rootfs, restarted, and reached again through the host key pine generated.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, copyFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTestImages, type Manifest } from "../../images/index.js";
import { SshConnector } from "../../src/connectors/ssh/index.js";
import { HostContext } from "../../src/host.js";
import { fetchArtifact } from "../../deploys/install/stage.js";
import { busybox, disk } from "../../operations/index.js";
import { labSkipReason, useLab } from "../support/lab.js";
import { runPine } from "../support/cli.js";

const skip = (await labSkipReason("debian")) ?? (await labSkipReason("plain"));

describe.skipIf(skip !== undefined)("install: container path", () => {
  const lab = useLab({ name: "inst", hosts: 2, kind: "debian" });
  const plain = useLab({ name: "instp", hosts: 1 });
  const work = mkdtempSync(join(tmpdir(), "pine-install-"));
  let manifest: Manifest;
  let rootfs: { path: string; sha256: string; size: number };
  beforeAll(async () => {
    manifest = await ensureTestImages("container");
    rootfs = manifest.artifacts["rootfs.pine_ovz.tar.gz"]!;
  }, 600_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const hostRoot = (i: number) => lab.state.hosts[i]!.root!;
  const ssh = (i: number, command: string) =>
    execFileSync("ssh", ["-i", lab.state.key, "-o", `UserKnownHostsFile=${lab.state.knownHosts}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", `root@${lab.state.hosts[i]!.address}`, command], { encoding: "utf8", timeout: 30_000 });

  it("a transfer cut short is refused before anything is unpacked: the host is left as it was", async () => {
    const h = lab.state.hosts[1]!;
    const connector = new SshConnector({ host: h.address, user: "root", key: lab.state.key, knownHostsPath: lab.state.knownHosts, agent: false, sshConfigPath: false });
    const host = new HostContext({ name: h.name, address: h.address, groups: [], data: {} }, connector, { dry: false, emit: () => undefined });
    try {
      const cut = join(work, "cut.tar.gz");
      copyFileSync(rootfs.path, cut);
      truncateSync(cut, Math.floor(rootfs.size / 2));
      const farm = "/run/pine-test-farm/bin";
      await disk.tmpfs(host, { path: "/run/pine-test-farm", sizeMiB: 8 });
      await busybox.linkfarm(host, { dir: farm, binary: "/bin/busybox", sha256: execFileSync("sha256sum", ["/bin/busybox"], { encoding: "utf8" }).slice(0, 64) });
      const artifact = { kind: "file" as const, path: cut, sha256: rootfs.sha256, size: rootfs.size, label: "rootfs" };
      await expect(fetchArtifact(host, { artifact, dest: "/.pine-staging/rootfs.tar.gz", farm })).rejects.toMatchObject({
        message: "install.fetch failed",
        stderr: expect.stringMatching(/received \d+ bytes of rootfs, expected \d+: the transfer was cut short; nothing was changed/),
      });
      expect(existsSync(join(hostRoot(1), ".pine-staging/rootfs.tar.gz"))).toBe(false);
      expect(existsSync(join(hostRoot(1), ".pine-staging/rootfs.tar.gz.part"))).toBe(false);
      expect(readFileSync(join(hostRoot(1), "etc/debian_version"), "utf8")).toMatch(/^\d+/);
      await host.run("umount /run/pine-test-farm && rmdir /run/pine-test-farm");
    } finally {
      await connector.close();
    }
  });

  it("a wrong sha256 in the inventory stops the run on the controller: nothing is sent anywhere", async () => {
    const r = await runPine(["deploy", lab.inventory, "install", "--yes", "--data", `image.file=${rootfs.path}`, "--data", `image.sha256=${"a".repeat(64)}`, "--data", "install.mode=container"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("refusing to use it");
    expect(existsSync(join(hostRoot(0), ".pine-staging"))).toBe(false);
  });

  it("installs pine on the containers, refuses the controller's own machine, and a re-run changes nothing", async () => {
    const inventory = join(work, "inventory.yaml");
    const p1 = plain.state.hosts[0]!;
    const text = readFileSync(lab.inventory, "utf8").replace(/^hosts:\n/m, `hosts:\n  p1: { address: ${p1.address}, key: ${plain.state.key}, data: { node: 9 } }\n`);
    writeFileSync(inventory, text);
    // p1's host key lives in the plain lab's known_hosts: put it next to the debian hosts' keys.
    writeFileSync(lab.state.knownHosts, readFileSync(lab.state.knownHosts, "utf8") + readFileSync(plain.state.knownHosts, "utf8"));
    const data = ["--data", `image.file=${rootfs.path}`, "--data", `image.sha256=${rootfs.sha256}`, "--data", "install.mode=container"];
    const started = Date.now();
    const r = await runPine(["deploy", inventory, "install", "--yes", ...data], { timeoutMs: 600_000 });
    console.log(`container install of 2 hosts: ${Date.now() - started} ms`);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/p1\s+0\s+0\s+FAILED \(install\.preflight\)/);
    expect(r.stderr).toContain("it is the machine pine runs on");
    expect(r.stdout).toMatch(/h1\s+6\s+0\s+ok/);
    expect(r.stdout).toMatch(/h2\s+6\s+0\s+ok/);
    expect(r.stderr).toMatch(/installed pine v1/);

    for (const i of [0, 1]) {
      // the real ssh client, strict: the key pine generated was recorded and is what the host now presents
      expect(ssh(i, "cat /etc/pine")).toContain("PINE_VERSION=v1");
      expect(ssh(i, "ostree admin status")).toContain(`* pine ${manifest.commits.v1}.0`);
      expect(ssh(i, "cat /etc/network-environment")).toContain(`NODE=${i + 1}\nIFACE=eth0\nIPV4=${lab.state.hosts[i]!.address}\n`);
      expect(ssh(i, "readlink /bin/sh || true")).not.toContain("dash");
      // the old system is kept, not deleted
      expect(existsSync(join(hostRoot(i), ".pine-old/etc/debian_version"))).toBe(true);
    }

    const again = await runPine(["deploy", inventory, "install", "--yes", "--limit", "h1,h2", ...data], { timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("already runs pine v1");
    expect(again.stdout).toMatch(/h1\s+0\s+0\s+ok/);
  });
});
