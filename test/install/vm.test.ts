// The hijack install's VM path end to end: a qemu VM booted from a Debian disk with sshd gets pine's test image
// written over its own disk while it runs, the rest of the disk partitioned as xfs, a reboot (the supervisor
// relaunches qemu), and pine reconnects with the host key it generated and verifies the flashed system.
import { describe, expect, it, beforeAll } from "vitest";
import { ensureTestImages, type Manifest } from "../../images/index.js";
import { useVm, vmSkipReason } from "../support/vm.js";
import { runPine } from "../support/cli.js";

const skip = await vmSkipReason();

describe.skipIf(skip !== undefined)("install: VM path", () => {
  const vm = useVm({ name: "instvm" });
  let manifest: Manifest;
  let image: { path: string; sha256: string; size: number };
  beforeAll(async () => {
    manifest = await ensureTestImages("vm");
    image = manifest.artifacts["image.pine.tar.gz"]!;
  }, 600_000);

  const data = (sha: string) => ["--data", `image.file=${image.path}`, "--data", `image.sha256=${sha}`, "--data", "parts=1G,64M,64M", "--data", "install.mode=vm"];

  it("prints which accelerator the VM runs on", () => {
    console.info(`install VM test: ${vm.host.accelNote}; first boot to SSH in ${vm.bootMs} ms`);
  });

  it("a wrong sha256 is refused on the controller: nothing is written, the VM still runs Debian", async () => {
    const r = await runPine(["deploy", vm.inventory, "install", "--yes", ...data("b".repeat(64))], { timeoutMs: 120_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("refusing to use it");
    expect(await vm.ssh("cat /etc/debian_version")).toMatch(/^\d+/);
    expect(await vm.ssh("test ! -e /run/pine-install && echo clean")).toBe("clean");
  });

  it("--dry prints the whole plan and changes nothing", async () => {
    const r = await runPine(["deploy", vm.inventory, "install", "--dry", ...data(image.sha256)], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout + r.stderr;
    for (const s of ["install.snapshot_tools", "install.quiesce", "image.write", "install.mount_image_root", "install.partition", "install.data_filesystems", "install.reboot"]) expect(out).toContain(s);
    expect(await vm.ssh("cat /etc/debian_version")).toMatch(/^\d+/);
  }, 300_000);

  it("flashes the image over the VM's own disk, reboots, reconnects with the pinned key and verifies", async () => {
    const started = Date.now();
    const r = await runPine(["deploy", vm.inventory, "install", "--yes", ...data(image.sha256)], { timeoutMs: 1_800_000 });
    console.info(`VM install (${vm.host.accelNote}): ${Math.round((Date.now() - started) / 1000)} s, exit ${r.code}; console ${vm.console}`);
    if (r.code !== 0) console.error(r.stdout, r.stderr);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/installed pine v1/);
    // the real ssh client, strict host key checking: pine recorded the key it generated
    expect(await vm.ssh("cat /etc/pine")).toContain("PINE_VERSION=v1");
    expect(await vm.ssh("ostree admin status")).toContain(`* pine ${manifest.commits.v1}.0`);
    const mounts = await vm.ssh("cat /proc/mounts");
    expect(mounts).toMatch(/^\/dev\/vda5 \/var xfs /m);
    expect(mounts).toMatch(/^\/dev\/vda8 \/share xfs /m);
    expect(await vm.ssh("ip -4 addr show eth0 || ip addr")).toContain(`${vm.address}/`);
    expect(await vm.ssh("cat /etc/network-environment")).toContain(`IPV4=${vm.address}`);
  }, 1_800_000);
});
