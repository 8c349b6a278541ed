// The VM disk image: pine's partition layout, the v1 deployment on p3, and a real boot (and upgraded boot) under qemu.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTestImages, type Manifest } from "../../images/index.js";
import { Attachments, bootVm, imagesSkipReason, removeTree, sh, sha256File, tempDir, type Vm } from "./support.js";

const SECTOR = 512;
// The documented layout (images/README.md): the real image's sizes, 512 MiB in all.
const LAYOUT = [
  { node: 1, start: 2048, size: 40 * 2048, type: "83", bootable: true },
  { node: 2, start: 2048 + 40 * 2048, size: 24 * 2048, type: "82", bootable: false },
  { node: 3, start: 2048 + 64 * 2048, size: 447 * 2048, type: "83", bootable: false },
];
const BOOT_TIMEOUT_MS = 180_000;

// qemu itself is installed by images/build.sh vm; TCG runs wherever qemu does.
const skip = imagesSkipReason();
if (skip) console.log(`skipping the VM test image tests: ${skip}`);

describe.skipIf(skip !== undefined)("test images: the VM disk image (image.pine)", () => {
  let manifest: Manifest;
  let image: string;
  let dir: string;
  const attached = new Attachments();
  const vms: Vm[] = [];

  beforeAll(async () => {
    manifest = await ensureTestImages("vm");
    image = manifest.artifacts["image.pine"]!.path;
    dir = tempDir("pine-images-vm-");
  }, 20 * 60_000);

  afterAll(() => {
    for (const vm of vms) vm.kill();
    attached.releaseAll();
    if (dir) removeTree(dir);
  });

  const partition = (n: number) => LAYOUT[n - 1]!;
  const byteRange = (n: number): [number, number] => [partition(n).start * SECTOR, partition(n).size * SECTOR];

  it("lists image.pine and its gzip tarball with matching sha256s; the tarball holds exactly image.pine", async () => {
    for (const name of ["image.pine", "image.pine.tar.gz", "delta.tar", "delta_base.tar"]) {
      const artifact = manifest.artifacts[name]!;
      expect(artifact, name).toBeDefined();
      expect(await sha256File(artifact.path), name).toBe(artifact.sha256);
    }
    const tarball = manifest.artifacts["image.pine.tar.gz"]!.path;
    expect(sh("sha256sum", ["-c", "image.pine.tar.gz.sha256"], { cwd: dirname(tarball) })).toBe("image.pine.tar.gz: OK\n");
    expect(sh("tar", ["-tzf", tarball]).trim()).toBe("image.pine");
    expect(manifest.artifacts["image.pine"]!.size).toBe(512 * 1024 * 1024);
  }, 120_000);

  it("has pine's MBR layout: p1 40 MiB Linux (bootable), p2 24 MiB swap, p3 447 MiB Linux", () => {
    const table = JSON.parse(sh("sfdisk", ["-J", image])).partitiontable as {
      label: string;
      sectorsize: number;
      partitions: { node: string; start: number; size: number; type: string; bootable?: boolean }[];
    };
    expect(table.label).toBe("dos");
    expect(table.sectorsize).toBe(SECTOR);
    expect(table.partitions.map((p) => ({ node: Number(p.node.slice(image.length)), start: p.start, size: p.size, type: p.type, bootable: p.bootable === true }))).toEqual(LAYOUT);
    expect(manifest.vm?.partitions.map((p) => [p.number, p.start, p.sectors, p.type])).toEqual(LAYOUT.map((p) => [p.node, p.start, p.size, p.type]));
    // syslinux's MBR boot code, which chains to the bootable partition.
    const mbr = sh("sh", ["-c", `head -c 440 "$1" | cmp -s - /usr/lib/syslinux/mbr/mbr.bin && echo same`, "sh", image]);
    expect(mbr.trim()).toBe("same");
  });

  it("p3 (XFS, mounted by offset ro,nouuid) holds the v1 deployment, and xfs_repair -n finds nothing", () => {
    const [offset, size] = byteRange(3);
    const p3 = attached.loop(image, offset, size, true);
    expect(sh("blkid", ["-p", "-o", "value", "-s", "TYPE", p3]).trim()).toBe("xfs");
    expect(sh("blkid", ["-p", "-o", "value", "-s", "LABEL", p3]).trim()).toBe("pine-root");
    const mnt = join(dir, "p3");
    mkdirSync(mnt);
    attached.mount(p3, mnt, "xfs", "ro,nouuid");
    const deployment = join(mnt, "ostree/deploy/pine/deploy", `${manifest.commits.v1}.0`);
    expect(readFileSync(join(deployment, "etc/pine"), "utf8")).toContain("PINE_VERSION=v1\n");
    expect(readFileSync(join(deployment, "etc/ssh/sshd_config"), "utf8")).toMatch(/^PermitRootLogin prohibit-password$/m);
    expect(readFileSync(join(deployment, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8")).toContain(manifest.vm!.hostKey);
    expect(sh("ostree", ["rev-parse", `--repo=${join(mnt, "ostree/repo")}`, manifest.ref]).trim()).toBe(manifest.commits.v1);
    expect(existsSync(join(mnt, "ostree/deploy/pine/var"))).toBe(true);
    attached.unmount(mnt);
    sh("xfs_repair", ["-n", p3]);
    attached.detach(p3);
  });

  it("p1 (ext2 /boot) has extlinux, the serial console and ostree's boot entry for v1", () => {
    const [offset, size] = byteRange(1);
    const p1 = attached.loop(image, offset, size, true);
    const mnt = join(dir, "p1");
    mkdirSync(mnt);
    attached.mount(p1, mnt, "ext2", "ro");
    expect(existsSync(join(mnt, "syslinux/ldlinux.sys"))).toBe(true);
    const config = readFileSync(join(mnt, "syslinux/syslinux.cfg"), "utf8");
    expect(config).toMatch(/^SERIAL 0 115200$/m);
    expect(config).toMatch(/^\s*APPEND .*console=ttyS0.* ostree=\/ostree\/boot\.\d\/pine\/[0-9a-f]{64}\/0$/m);
    const entries = sh("sh", ["-c", 'cat "$1"/loader/entries/*.conf', "sh", mnt]);
    expect(entries).toContain("pine OS v1");
    attached.unmount(mnt);
    attached.detach(p1);
  });

  it(
    "boots under qemu (TCG) to sshd answering with the image's own host key",
    async () => {
      console.log("qemu: TCG, not KVM: /dev/kvm here is a paravirtual variant that cannot boot a stock Debian kernel (LAB-NOTES.md)");
      const vm = await bootVm(image, dir, { snapshot: true });
      vms.push(vm);
      const { hostKey, seconds } = await vm.waitForSsh(BOOT_TIMEOUT_MS);
      console.log(`image.pine: sshd answered ${seconds.toFixed(1)} s after qemu started (TCG)`);
      expect(hostKey).toBe(manifest.vm!.hostKey);
      expect(vm.console()).toContain("pine OS v1 up");
      vm.kill();
    },
    BOOT_TIMEOUT_MS + 30_000,
  );

  it(
    "boots the same way from a virtio disk with a virtio NIC (what KVM VPSes have)",
    async () => {
      const vm = await bootVm(image, dir, { snapshot: true, virtio: true });
      vms.push(vm);
      const { hostKey, seconds } = await vm.waitForSsh(BOOT_TIMEOUT_MS);
      console.log(`image.pine on virtio: sshd answered ${seconds.toFixed(1)} s after qemu started (TCG)`);
      expect(hostKey).toBe(manifest.vm!.hostKey);
      expect(vm.console()).toContain("pine-initramfs: root /dev/vda3");
      vm.kill();
    },
    BOOT_TIMEOUT_MS + 30_000,
  );

  it(
    "upgraded offline to v2 (delta.tar, ostree admin deploy), it boots v2 and keeps its host key",
    async () => {
      const upgraded = join(dir, "upgraded.pine");
      sh("cp", ["--sparse=always", image, upgraded]);
      const mnt = join(dir, "upgrade");
      mkdirSync(mnt);
      const p3 = attached.loop(upgraded, ...byteRange(3));
      const p1 = attached.loop(upgraded, ...byteRange(1));
      attached.mount(p3, mnt, "xfs", "nouuid");
      attached.mount(p1, join(mnt, "boot"), "ext2", "rw");
      const delta = join(mnt, "ostree/deploy/pine/var/tmp-delta.tar");
      copyFileSync(manifest.artifacts["delta.tar"]!.path, delta);
      sh("ostree", ["static-delta", "apply-offline", `--repo=${join(mnt, "ostree/repo")}`, delta]);
      sh("ostree", ["admin", "deploy", `--sysroot=${mnt}`, "--os=pine", manifest.commits.v2]);
      const status = sh("ostree", ["admin", "status", `--sysroot=${mnt}`]);
      expect(status.indexOf(manifest.commits.v2)).toBeLessThan(status.indexOf(manifest.commits.v1));
      expect(readFileSync(join(mnt, "boot/syslinux/syslinux.cfg"), "utf8")).toMatch(/^DEFAULT .*v2/m);
      attached.unmount(join(mnt, "boot"));
      attached.unmount(mnt);
      attached.detach(p1);
      attached.detach(p3);

      const vm = await bootVm(upgraded, dir, { snapshot: false });
      vms.push(vm);
      const { hostKey, seconds } = await vm.waitForSsh(BOOT_TIMEOUT_MS);
      console.log(`upgraded image: sshd answered ${seconds.toFixed(1)} s after qemu started (TCG)`);
      expect(vm.console()).toContain("pine OS v2 up");
      expect(vm.console()).toContain(`deployment /ostree/deploy/pine/deploy/${manifest.commits.v2}.0`);
      expect(hostKey).toBe(manifest.vm!.hostKey);
      vm.kill();
    },
    BOOT_TIMEOUT_MS + 90_000,
  );
});
