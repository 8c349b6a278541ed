// A real qemu VM host for the hijack install: an "old server" Debian booted from its own disk, reached by ssh, rebooted, stopped.
import { execFile } from "node:child_process";
import { access, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { listLinks, listNamespaces } from "../../src/lab/interfaces.js";
import { isRunning } from "../../src/lab/lab-process.js";
import { currentQemuPid } from "../../src/lab/vm/index.js";
import { sshOptions, useVm, vmSkipReason } from "../support/vm.js";

const run = promisify(execFile);
const skip = await vmSkipReason();
const BOOT_ID = "cat /proc/sys/kernel/random/boot_id";
/** From the guest's reboot to qemu's exit: systemd stops the guest's services first (seconds under TCG). */
const RELAUNCH_TIMEOUT_MS = 120_000;

describe.skipIf(skip !== undefined)("VM host (qemu, Debian disk, relaunching supervisor)", () => {
  const vm = useVm({ name: "tvm" });

  it("boots Debian from one root partition and answers the real ssh client with its pinned host key", async () => {
    console.info(`VM boot (qemu start to SSH): ${vm.bootMs} ms`);
    expect(await vm.ssh("cat /etc/debian_version")).toMatch(/^\d+(\.\d+)*$/);
    expect(await vm.ssh("hostname")).toBe("tvm");
    const lsblk = (await vm.ssh("lsblk -b -n -o NAME,SIZE")).split("\n").map((line) => line.replace(/^[^a-z]+/, "").trim().split(/\s+/));
    const sizes = new Map(lsblk.map(([name, size]) => [name, Number(size)]));
    expect(sizes.get("vda")).toBe(3 * 1024 ** 3);
    expect(sizes.get("vda1")).toBe(3 * 1024 ** 3 - 1024 ** 2);
    expect([...sizes.keys()].filter((name) => name?.startsWith("vda"))).toEqual(["vda", "vda1"]);
    expect(await vm.ssh("findmnt -n -o SOURCE /")).toBe("/dev/vda1");
    // What the install's preflight looks at and its steps call: BIOS boot, eth0, 512 MiB, the tools on the old system.
    expect(await vm.ssh("test -d /sys/firmware/efi && echo uefi || echo bios")).toBe("bios");
    expect(await vm.ssh("cat /proc/cmdline")).toMatch(/console=ttyS0.*net\.ifnames=0/);
    const memTotalKiB = Number(await vm.ssh("awk '/^MemTotal:/ { print $2 }' /proc/meminfo"));
    expect(memTotalKiB).toBeGreaterThan(400 * 1024);
    expect(memTotalKiB).toBeLessThanOrEqual(512 * 1024);
    const tools = ["busybox", "wget", "sfdisk", "losetup", "blockdev", "mkfs.xfs", "xfs_repair", "lsblk", "ifup"];
    expect((await vm.ssh(`for t in ${tools.join(" ")}; do command -v $t >/dev/null || echo "missing $t"; done; echo ok`))).toBe("ok");
    // The address comes from the guest's own ifupdown config, as on a real server.
    expect(await vm.ssh("ip -o -4 addr show dev eth0")).toContain(`inet ${vm.address}/24`);
    expect(await vm.ssh("grep -A3 '^auto eth0' /etc/network/interfaces")).toContain(`address ${vm.address}/24`);
    expect(await vm.ssh("ip route show default")).toContain(`default via ${vm.lab.gateway} dev eth0`);
    const inventory = await readFile(vm.inventory, "utf8");
    expect(inventory).toContain(`vm1: { address: ${vm.address}, data: { node: 1 } }`);
    expect(inventory).toContain("hostKeyCheck: strict");
    expect(await readFile(vm.knownHosts, "utf8")).toBe(`${vm.address} ${vm.host.hostKey.split(" ").slice(0, 2).join(" ")}\n`);
  });

  it("pins exactly that key: ssh refuses the VM when known_hosts holds another one", async () => {
    expect((await run("ssh-keygen", ["-l", "-f", vm.knownHosts])).stdout).toContain(vm.host.hostKeyFingerprint);
    const other = join(vm.dir, "other_key");
    await rm(other, { force: true });
    await rm(`${other}.pub`, { force: true });
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const wrong = join(vm.dir, "known_hosts.wrong");
    await writeFile(wrong, `${vm.address} ${(await readFile(`${other}.pub`, "utf8")).split(" ").slice(0, 2).join(" ")}\n`);
    await expect(
      run("ssh", [...sshOptions(vm.key, wrong), `root@${vm.address}`, "true"], { timeout: 30_000 }),
    ).rejects.toThrow(/Host key verification failed/);
  });

  it("comes back after `reboot` inside the guest: the supervisor relaunches qemu and ssh answers with a new boot id", async () => {
    const before = await vm.ssh(BOOT_ID);
    // Never this machine: the kernel answering must be another one than ours.
    expect(before).not.toBe((await readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim());
    const qemuBefore = await currentQemuPid(vm.host.files);
    expect(qemuBefore).toBeDefined();
    const started = Date.now();
    // Detached, so the ssh session ends before the guest takes the network down.
    await vm.ssh("nohup sh -c 'sleep 1; reboot' >/dev/null 2>&1 &", 30_000);
    let qemuAfter = qemuBefore;
    while (Date.now() - started < RELAUNCH_TIMEOUT_MS) {
      qemuAfter = await currentQemuPid(vm.host.files);
      if (qemuAfter !== undefined && qemuAfter !== qemuBefore) break;
      await sleep(250);
    }
    const relaunchedAfter = Date.now() - started;
    expect(qemuAfter, `qemu was not relaunched within ${RELAUNCH_TIMEOUT_MS} ms; see ${vm.host.files.supervisorLog}`).not.toBe(qemuBefore);
    expect(await isRunning(qemuBefore!)).toBe(false);
    await vm.waitForSsh();
    const after = await vm.ssh(BOOT_ID);
    console.info(`VM reboot: guest shut down and qemu relaunched after ${relaunchedAfter} ms, SSH again after ${Date.now() - started} ms`);
    expect(after).toMatch(/^[0-9a-f-]{36}$/);
    expect(after).not.toBe(before);
    const supervisorLog = await readFile(vm.host.files.supervisorLog, "utf8");
    expect(supervisorLog).toMatch(/the guest rebooted \(reboot: Restarting system\): relaunch 1 of at most/);
    expect(await readFile(vm.console, "utf8")).toMatch(/reboot: Restarting system[\s\S]*SeaBIOS/);
  }, RELAUNCH_TIMEOUT_MS + 300_000);

  it("stop leaves no supervisor, qemu, loop device, tap, bridge, veth or namespace", async () => {
    const { files, namespace, veth, supervisorPid } = vm.host;
    const qemu = await currentQemuPid(files);
    expect(qemu).toBeDefined();
    const inside = (await run("ip", ["-n", namespace, "-o", "link", "show"])).stdout;
    expect(inside).toMatch(/\btap0\b/);
    expect(inside).toMatch(/\bbr0\b/);
    await vm.stop();
    expect(await isRunning(supervisorPid)).toBe(false);
    expect(await isRunning(qemu!)).toBe(false);
    expect(await listNamespaces()).not.toContain(namespace);
    expect(await listLinks()).not.toContain(veth);
    expect((await run("losetup", ["-j", files.disk, "-n"])).stdout.trim()).toBe("");
    expect((await run("ps", ["-eo", "args"])).stdout).not.toContain(files.disk);
    await expect(access(files.disk)).rejects.toThrow(/ENOENT/);
  });
});
