// The container rootfs (OpenVZ/LXC): its formats, its layout, and a real boot and upgrade under systemd-nspawn.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTestImages, type Manifest } from "../../images/index.js";
import { imagesSkipReason, removeTree, scanHostKey, sh, sha256File, startContainer, tempDir, type Container } from "./support.js";

const skip = imagesSkipReason();
if (skip) console.log(`skipping the container test image tests: ${skip}`);

describe.skipIf(skip !== undefined)("test images: the container rootfs (rootfs.pine_ovz.*)", () => {
  let manifest: Manifest;
  let dir: string;
  let root: string;
  let container: Container | undefined;

  beforeAll(async () => {
    manifest = await ensureTestImages("container");
    dir = tempDir("pine-images-container-");
    root = join(dir, "root");
    mkdirSync(root);
  }, 20 * 60_000);

  afterAll(async () => {
    await container?.stop();
    if (dir) removeTree(dir);
  });

  it("lists the squashfs and the tarball with matching sha256s", async () => {
    for (const name of ["rootfs.pine_ovz.sq", "rootfs.pine_ovz.tar.gz"]) {
      const artifact = manifest.artifacts[name]!;
      expect(await sha256File(artifact.path), name).toBe(artifact.sha256);
      expect(sh("sha256sum", ["-c", `${name}.sha256`], { cwd: dirname(artifact.path) })).toBe(`${name}: OK\n`);
    }
  }, 60_000);

  it("extracts with busybox tar xzf: container init at /sbin/init and /bin/init, busybox, the v1 deployment and its repo", () => {
    sh("/bin/busybox", ["tar", "-xzf", manifest.artifacts["rootfs.pine_ovz.tar.gz"]!.path, "-C", root]);
    for (const init of ["sbin/init", "bin/init"]) {
      expect(statSync(join(root, init)).mode & 0o111, init).not.toBe(0);
      expect(readFileSync(join(root, init), "utf8")).toMatch(/^#!\/bin\/busybox sh\n/);
    }
    expect(existsSync(join(root, "bin/busybox"))).toBe(true);
    const deployment = join(root, manifest.container!.deployment);
    expect(manifest.container!.deployment).toBe(`ostree/deploy/pine/deploy/${manifest.commits.v1}.0`);
    expect(readFileSync(join(deployment, "etc/pine"), "utf8")).toContain("PINE_VERSION=v1\n");
    expect(existsSync(join(deployment, "usr/sbin/sshd"))).toBe(true);
    expect(sh("ostree", ["rev-parse", `--repo=${join(root, "ostree/repo")}`, manifest.ref]).trim()).toBe(manifest.commits.v1);
    expect(sh("sh", ["-c", 'cat "$1"/boot/loader/entries/*.conf', "sh", root])).toMatch(/^options .*ostree=\/ostree\/boot\.\d\/pine\/[0-9a-f]{64}\/0/m);
  }, 60_000);

  it("the squashfs holds the same tree", () => {
    const listing = sh("unsquashfs", ["-l", "-d", "", manifest.artifacts["rootfs.pine_ovz.sq"]!.path], { timeoutMs: 60_000 });
    const paths = new Set(listing.split("\n"));
    for (const path of ["/sbin/init", "/bin/init", "/bin/busybox", `/${manifest.container!.deployment}/etc/pine`, "/ostree/repo/config"]) {
      expect(paths.has(path), path).toBe(true);
    }
  });

  it(
    "boots under systemd-nspawn to sshd with ostree seeing v1 booted; after delta.tar + ostree admin upgrade --override-commit + reboot it runs v2",
    async () => {
      container = startContainer(root, `pine-images-${process.pid}`);
      await container.waitForConsole("pine OS v1 up", 60_000);
      await container.waitForConsole("Server listening on", 30_000);
      const key = scanHostKey(22, ["nsenter", "-t", String(container.initPid()), "-n"]);
      const deployment = join(root, manifest.container!.deployment);
      expect(key).toBeDefined();
      expect(readFileSync(join(deployment, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8")).toContain(key!);
      expect(container.exec(["cat", "/proc/cmdline"])).toMatch(/^ostree=\/ostree\/boot\.\d\/pine\/[0-9a-f]{64}\/0$/m);
      expect(container.exec(["ostree", "admin", "status"])).toMatch(new RegExp(`^\\* pine ${manifest.commits.v1}\\.0$`, "m"));

      // The upgrade as a pine host does it, offline from a delta file.
      copyFileSync(manifest.artifacts["delta.tar"]!.path, join(root, "ostree/deploy/pine/var/tmp/delta.tar"));
      container.exec(["ostree", "static-delta", "apply-offline", "/var/tmp/delta.tar"]);
      // DESIGN section 5's command; the VM test uses the other one (ostree admin deploy).
      container.exec(["ostree", "admin", "upgrade", "--os=pine", `--override-commit=${manifest.commits.v2}`]);
      const mark = container.console().length;
      container.exec(["reboot"]);
      await container.waitForConsole("--- exit 133", 30_000, mark);
      await container.waitForConsole("pine OS v2 up", 60_000, mark);
      await container.waitForConsole("Server listening on", 30_000, mark);
      expect(container.boots()).toBe(2);
      const status = container.exec(["ostree", "admin", "status"]);
      expect(status).toMatch(new RegExp(`^\\* pine ${manifest.commits.v2}\\.0$`, "m"));
      expect(status).toMatch(new RegExp(`^  pine ${manifest.commits.v1}\\.0 \\(rollback\\)$`, "m"));
      expect(container.exec(["cat", "/etc/pine"])).toContain("PINE_VERSION=v2\n");
      expect(container.exec(["cat", `/ostree/deploy/pine/deploy/${manifest.commits.v2}.0.origin`])).toContain(`refspec=${manifest.ref}\n`);
      // /etc is merged on upgrade: the host key generated on the first boot is still the one served.
      expect(scanHostKey(22, ["nsenter", "-t", String(container.initPid()), "-n"])).toBe(key);
    },
    240_000,
  );
});
