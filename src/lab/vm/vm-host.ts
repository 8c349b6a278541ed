// One VM host's life: copy the cached disk, give the copy its identity, wire its network, run qemu under a supervisor; and stop all of it.
import { mkdir, readFile, rm } from "node:fs/promises";
import { UsageError } from "../../errors.js";
import { listMountsUnder } from "../mounts.js";
import { listNamespaces, namespacePids } from "../interfaces.js";
import { ensureKeyPair, fingerprint, parsePublicKey } from "../keys.js";
import { signal, waitUntilGone } from "../lab-process.js";
import { runLocal, succeeds } from "../local-command.js";
import { ensureVmDisk, readRootPartition } from "./disk.js";
import { detachLoopsOf, writeGuestIdentity } from "./guest-identity.js";
import { vmFiles, type VmFiles } from "./layout.js";
import { vmNames } from "./names.js";
import { ACCEL_NOTES, qemuArgs, type VmAccel } from "./qemu.js";
import { startVmSupervisor, stopVmSupervisor } from "./supervisor.js";
import { createVmNetwork, removeVmNetwork } from "./vm-network.js";

export interface VmHostOptions {
  /** 1 to 10 characters from [a-z0-9]: names the namespace (pinevm-NAME), the veth (pvm-NAME) and the guest's hostname. */
  name: string;
  /** The VM's own directory: disk copy, console and qemu logs, PID files, host key. */
  dir: string;
  /** The guest's static IPv4 address on the lab bridge's subnet. */
  address: string;
  /** Its prefix length, e.g. 24. */
  prefix: number;
  /** The guest's default gateway: the lab bridge's own address (the controller). */
  gateway: string;
  /** The bridge in this namespace the VM's veth joins (a lab's pb-NAME). */
  bridge: string;
  /** The client's private key path; root in the guest accepts its public half, `${key}.pub`. */
  key: string;
  /** The disk to copy; default the cached one of scripts/vm/debian-disk.sh (built first when missing). */
  disk?: string;
  /** Default 512: the size pine's real targets start at. */
  memoryMiB?: number;
  /** Default "tcg": KVM cannot boot a stock kernel on these machines (see ACCEL_NOTES). */
  accel?: VmAccel;
}

export interface VmHost {
  name: string;
  address: string;
  namespace: string;
  /** The root-namespace end of its veth, a port of `bridge`. */
  veth: string;
  bridge: string;
  tap: string;
  mac: string;
  /** The guest's host key, `ssh-ed25519 AAAA... comment`, and its SHA256 fingerprint: known_hosts pins it. */
  hostKey: string;
  hostKeyFingerprint: string;
  /** The supervisor's PID; qemu's changes at every guest reboot (see currentQemuPid). */
  supervisorPid: number;
  accel: VmAccel;
  /** One sentence on which accelerator runs the VM and why; worth printing next to boot times. */
  accelNote: string;
  /** Every file of the VM: disk copy, console.log (all boots), qemu.log, supervisor.log, PID files. */
  files: VmFiles;
}

const IPV4 = /^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$/;
/** A sparse copy reads the whole 3 GiB file for its holes; a busy disk makes that slow, never endless. */
const COPY_TIMEOUT_MS = 300_000;

/**
 * Starts the VM and returns once qemu runs (the guest then boots for 20-75 s: wait with waitForSsh). A VM
 * of the same name must not be running (stopVmHost first). On any failure, what was started is stopped again
 * and the disk copy kept for a post-mortem.
 */
export async function startVmHost(options: VmHostOptions): Promise<VmHost> {
  const names = vmNames(options.name);
  const files = vmFiles(options.dir);
  const accel = options.accel ?? "tcg";
  assertNetwork(options);
  if ((await listNamespaces()).includes(names.namespace)) {
    throw new UsageError(`VM ${options.name} is already running (namespace ${names.namespace} exists)`, {
      hint: "stop it first (stopVmHost), or choose another name",
    });
  }
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  const source = options.disk ?? (await ensureVmDisk());
  const authorizedKey = (await readFile(`${options.key}.pub`, "utf8")).trim();
  parsePublicKey(authorizedKey);
  // The host key survives restarts of the VM from the same dir, so a known_hosts entry stays valid.
  const hostKey = await ensureKeyPair(files.hostKey, `${options.name}@pine-lab-vm`);
  try {
    await Promise.all([files.console, files.qemuLog, files.supervisorLog, files.disk].map((path) => rm(path, { force: true })));
    await runLocal("cp", ["--sparse=always", source, files.disk], { step: `copy the VM disk to ${files.disk}`, timeoutMs: COPY_TIMEOUT_MS });
    await writeGuestIdentity(files.disk, await readRootPartition(files.disk), files.mount, {
      hostname: options.name,
      address: options.address,
      prefix: options.prefix,
      gateway: options.gateway,
      authorizedKey,
      hostKey: files.hostKey,
    });
    await createVmNetwork(names, options.bridge, options.address);
    const args = qemuArgs({ names, files, accel, memoryMiB: options.memoryMiB ?? 512 });
    const supervisorPid = await startVmSupervisor({ namespace: names.namespace, files, args });
    return {
      name: options.name,
      address: options.address,
      namespace: names.namespace,
      veth: names.veth,
      bridge: options.bridge,
      tap: names.tap,
      mac: names.mac,
      hostKey,
      hostKeyFingerprint: fingerprint(parsePublicKey(hostKey)),
      supervisorPid,
      accel,
      accelNote: ACCEL_NOTES[accel],
      files,
    };
  } catch (error) {
    await stopVmHost({ name: options.name, dir: options.dir, keepDisk: true }).catch(() => undefined);
    throw error;
  }
}

export interface StopVmHostOptions {
  name: string;
  dir: string;
  /** Keep the disk copy (for a post-mortem, or to look at what was flashed). Default: removed, it is up to 3 GiB. */
  keepDisk?: boolean;
}

/**
 * Stops VM `name` whatever state it was left in: its supervisor and qemu (found by PID file and by identity,
 * never by name alone), anything else in its namespace, a mount or loop device of a start killed mid-way; then
 * removes its namespace (with its bridge and tap) and veth. Logs and the host key stay in `dir`.
 */
export async function stopVmHost(options: StopVmHostOptions): Promise<void> {
  const names = vmNames(options.name);
  const files = vmFiles(options.dir);
  await stopVmSupervisor(files);
  if ((await listNamespaces()).includes(names.namespace)) {
    // Everything in a VM's namespace was started for the VM.
    const inside = await namespacePids(names.namespace);
    for (const pid of inside) signal(pid, "SIGKILL");
    for (const pid of inside) await waitUntilGone(pid, 2_000);
  }
  if ((await listMountsUnder(files.mount)).length > 0) {
    if (!(await succeeds("umount", [files.mount], { timeoutMs: 30_000 }))) await runLocal("umount", ["-l", files.mount], { step: `unmount ${files.mount}` });
  }
  await detachLoopsOf(files.disk);
  await removeVmNetwork(names);
  await Promise.all([files.qemuPid, files.supervisorPid].map((path) => rm(path, { force: true })));
  if (!options.keepDisk) await rm(files.disk, { force: true });
}

function assertNetwork(options: VmHostOptions): void {
  for (const [option, value] of [["address", options.address], ["gateway", options.gateway]] as const) {
    if (!IPV4.test(value)) throw new UsageError(`invalid ${option} ${JSON.stringify(value)}: use a dotted IPv4 address`);
  }
  if (!Number.isInteger(options.prefix) || options.prefix < 1 || options.prefix > 30) {
    throw new UsageError(`invalid prefix ${options.prefix}: use a prefix length from 1 to 30`);
  }
}
