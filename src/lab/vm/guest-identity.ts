// What makes a copy of the cached disk one particular VM: hostname, static address, root's key, its own SSH host key.
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PineError } from "../../errors.js";
import { runLocal, succeeds } from "../local-command.js";
import { listMountsUnder } from "../mounts.js";
import { renderHosts } from "../root-identity.js";
import type { DiskPartition } from "./disk.js";

export interface GuestIdentity {
  hostname: string;
  address: string;
  /** Prefix length of the address, e.g. 24. */
  prefix: number;
  gateway: string;
  /** The client's public key line root accepts. */
  authorizedKey: string;
  /** The guest's host key pair: private key here, public half at `${hostKey}.pub`. */
  hostKey: string;
}

/**
 * /etc/network/interfaces as the Debian installer writes it for a static server. `auto`, not `allow-hotplug`:
 * inside a VM nobody configures eth0 from outside, and networking.service waits for udev before `ifup -a`.
 */
export function renderGuestInterfaces(address: string, prefix: number, gateway: string): string {
  return [
    "# Written by pine's lab before the VM's first boot: a static address (minbase has no DHCP client).",
    "source /etc/network/interfaces.d/*",
    "",
    "auto lo",
    "iface lo inet loopback",
    "",
    "auto eth0",
    "iface eth0 inet static",
    `\taddress ${address}/${prefix}`,
    `\tgateway ${gateway}`,
    "",
  ].join("\n");
}

/** A nameserver line is what install's preflight reads; timeout 1 keeps lookups nobody answers cheap. */
export function renderResolvConf(nameserver: string): string {
  return `nameserver ${nameserver}\noptions timeout:1 attempts:1\n`;
}

/**
 * Writes the identity into the root partition of `disk` (not running): a loop device over the partition by
 * offset (this machine's kernel makes no partition nodes), mounted at `mount`. Both are undone in every case,
 * and only the loop device attached here is detached.
 */
export async function writeGuestIdentity(disk: string, partition: DiskPartition, mount: string, identity: GuestIdentity): Promise<void> {
  const step = `write the VM's identity into ${disk}`;
  await mkdir(mount, { recursive: true });
  const attached = await runLocal(
    "losetup",
    ["-f", "--show", "-o", String(partition.offset), "--sizelimit", String(partition.size), disk],
    { step },
  );
  const device = attached.stdout.trim();
  if (!/^\/dev\/loop[0-9]+$/.test(device)) throw new PineError(`losetup printed no loop device (${JSON.stringify(device)})`, { step });
  let mounted = false;
  try {
    await runLocal("mount", ["-t", "ext4", device, mount], { step, timeoutMs: 30_000 });
    mounted = true;
    await writeInto(mount, identity);
    await runLocal("umount", [mount], { step, timeoutMs: 30_000 });
    mounted = false;
  } finally {
    if (mounted || (await listMountsUnder(mount)).length > 0) {
      if (!(await succeeds("umount", [mount], { timeoutMs: 30_000 }))) await succeeds("umount", ["-l", mount]);
    }
    await detachIfOurs(device, disk);
  }
}

async function writeInto(root: string, identity: GuestIdentity): Promise<void> {
  const etc = join(root, "etc");
  await writeGuestFile(join(etc, "hostname"), `${identity.hostname}\n`);
  await writeGuestFile(join(etc, "hosts"), renderHosts(identity.hostname));
  await writeGuestFile(join(etc, "network", "interfaces"), renderGuestInterfaces(identity.address, identity.prefix, identity.gateway));
  await writeGuestFile(join(etc, "resolv.conf"), renderResolvConf(identity.gateway));
  const hostKey = join(etc, "ssh", "ssh_host_ed25519_key");
  await writeGuestFile(hostKey, await readFile(identity.hostKey), 0o600);
  await writeGuestFile(`${hostKey}.pub`, await readFile(`${identity.hostKey}.pub`));
  const sshDir = join(root, "root", ".ssh");
  await mkdir(sshDir, { recursive: true, mode: 0o700 });
  await chmod(sshDir, 0o700);
  await writeGuestFile(join(sshDir, "authorized_keys"), `${identity.authorizedKey.trim()}\n`, 0o600);
}

/**
 * Replaces a file of the guest. Whatever was there goes first: a guest's symlink (resolv.conf often is one)
 * names a path of the guest, and following it here would write into this machine's own file.
 */
async function writeGuestFile(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
  await rm(path, { force: true });
  await writeFile(path, content, { mode, flag: "wx" });
  await chmod(path, mode);
}

/** Detaches `device` only while it still reads from `disk`: a number reused by someone else is left alone. */
async function detachIfOurs(device: string, disk: string): Promise<void> {
  if (await readsFrom(device, disk)) await detach(device, disk);
}

/** Loop devices still reading from `disk` (a start killed mid-write); they are this VM's, and go. */
export async function detachLoopsOf(disk: string): Promise<void> {
  const { stdout } = await runLocal("losetup", ["-j", disk, "-n", "-O", "NAME"], { step: `find loop devices of ${disk}` }).catch(() => ({ stdout: "" }));
  for (const device of stdout.split("\n").map((line) => line.trim()).filter(Boolean)) await detach(device, disk);
}

const DETACH_WAIT_MS = 10_000;

/**
 * `losetup -d` on a device another process has open (anything scanning block devices) only marks it to go at
 * its last close, and succeeds: wait, bounded, until it really has let go of the disk.
 */
async function detach(device: string, disk: string): Promise<void> {
  await runLocal("losetup", ["-d", device], { step: `detach ${device}` });
  const deadline = Date.now() + DETACH_WAIT_MS;
  while (await readsFrom(device, disk)) {
    if (Date.now() > deadline) {
      throw new PineError(`${device} still reads from ${disk} ${DETACH_WAIT_MS} ms after losetup -d`, {
        step: `detach ${device}`,
        hint: `something holds it open (see fuser -v ${device}); it goes when that process closes it`,
      });
    }
    await sleep(50);
  }
}

/** Whether loop `device` is attached to `disk`, from sysfs (no losetup output to parse, no race with its formatting). */
async function readsFrom(device: string, disk: string): Promise<boolean> {
  const name = device.replace(/^\/dev\//, "");
  const backing = await readFile(`/sys/block/${name}/loop/backing_file`, "utf8").catch(() => "");
  return backing.trim() === disk;
}
