// Vitest helper: a real qemu VM host ("old server" Debian disk) on a lab bridge for one describe block.
//
// The lab provides the bridge, the client key and the subnet: `labUp({ hosts: 0 })` makes a lab with no
// hosts of its own, and the VM joins its bridge at the first host address. The VM keeps to its own names
// (pinevm-NAME, pvm-NAME) and its own dir, so the lab never mistakes it for one of its hosts.
// Files: /tmp/pine-test-vm-NAME/{lab,vm}; vm/ keeps console.log, qemu.log and supervisor.log after the
// tests for a post-mortem (the 3 GiB disk copy is removed); the next run starts them afresh.
import { execFile } from "node:child_process";
import { access, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";
import { findLabProblems, labDown, labUp, type LabState } from "../../src/lab/index.js";
import { hostAddress, labSubnet } from "../../src/lab/names.js";
import {
  DEFAULT_SSH_WAIT_MS,
  ensureVmDisk,
  isVmDiskCached,
  isVmSupervisorRunning,
  startVmHost,
  stopVmHost,
  vmFiles,
  waitForSsh,
  type VmAccel,
  type VmHost,
} from "../../src/lab/vm/index.js";

const run = promisify(execFile);

/** What the VM tests install when missing (Debian names): qemu, the disk builder's tools. */
const VM_PACKAGES = ["qemu-system-x86", "mmdebstrap", "extlinux", "syslinux-common", "e2fsprogs", "fdisk", "util-linux", "openssh-client"];
const VM_PROGRAMS = ["qemu-system-x86_64", "mmdebstrap", "extlinux", "sfdisk", "mkfs.ext4", "losetup", "ssh", "ssh-keyscan"];

/** A fresh disk (mmdebstrap + kernel, ~70 s here, far more on a slow mirror) and a first boot under TCG must fit. */
export const VM_HOOK_TIMEOUT_MS = 30 * 60_000 + DEFAULT_SSH_WAIT_MS;

export interface UseVmOptions {
  /** Lab and VM name, 1-6 of [a-z0-9], fixed per test file so a crashed run's leftovers are found and removed. */
  name: string;
  /** The VM's name in inventory.yaml; default vm1. */
  inventoryName?: string;
  memoryMiB?: number;
  /** Default: $PINE_VM_ACCEL, else tcg (KVM cannot boot a stock kernel on these machines). */
  accel?: VmAccel;
}

export interface VmFixture {
  /** Known before beforeAll runs, so a failed boot can still be looked at. */
  readonly dir: string;
  readonly console: string;
  readonly host: VmHost;
  readonly lab: LabState;
  readonly address: string;
  /** inventory.yaml with the VM (node 1), root over the lab key, strict host key checking. */
  readonly inventory: string;
  /** known_hosts holding exactly the VM's host key. */
  readonly knownHosts: string;
  readonly key: string;
  /** Time from qemu's start to SSH answering with the VM's key in beforeAll. */
  readonly bootMs: number;
  /** Runs `command` as root on the VM with the real OpenSSH client (strict host key); resolves with trimmed stdout. */
  ssh(command: string, timeoutMs?: number): Promise<string>;
  /** Waits for SSH with the VM's own host key (after a reboot); resolves with the time waited. */
  waitForSsh(timeoutMs?: number): Promise<number>;
  /** Stops the VM now (afterAll does it anyway); the lab stays until afterAll. */
  stop(): Promise<void>;
}

/** The directory a VM fixture uses: derived from its name, so a later run finds an earlier one's leftovers. */
export function testVmDir(name: string): string {
  return join(tmpdir(), `pine-test-vm-${name}`);
}

/**
 * Why VM tests cannot run here (printed), or undefined. Missing packages are installed first
 * (scripts/setup-system.sh, as `npm test` does): only what cannot be fixed skips.
 */
export async function vmSkipReason(): Promise<string | undefined> {
  let problems = await findVmProblems();
  if (problems.length > 0 && process.getuid?.() === 0) {
    const setup = fileURLToPath(new URL("../../scripts/setup-system.sh", import.meta.url));
    const installed = await run("bash", [setup, ...VM_PACKAGES], { timeout: 15 * 60_000 }).then(
      () => undefined,
      (error: Error & { stderr?: string }) => `scripts/setup-system.sh failed: ${(error.stderr ?? error.message).trim().split("\n").pop()}`,
    );
    problems = [...(installed ? [installed] : []), ...(await findVmProblems())];
  }
  if (problems.length === 0) return undefined;
  const reason = `VM tests skipped: ${problems.join("; ")}`;
  console.warn(reason);
  return reason;
}

async function findVmProblems(): Promise<string[]> {
  const problems = await findLabProblems("plain");
  if (problems.length > 0) return problems;
  for (const program of VM_PROGRAMS) {
    if (!(await run("sh", ["-c", `command -v ${program}`]).then(() => true, () => false))) problems.push(`${program} is missing`);
  }
  if (!(await access("/dev/net/tun").then(() => true, () => false))) problems.push("/dev/net/tun is missing: qemu cannot get a tap device");
  if (problems.length === 0) {
    const qemu = await run("qemu-system-x86_64", ["-version"], { timeout: 30_000 }).then(
      () => undefined,
      (error: Error) => `qemu-system-x86_64 does not run: ${error.message.split("\n")[0]}`,
    );
    if (qemu) problems.push(qemu);
  }
  return problems;
}

export function useVm(options: UseVmOptions): VmFixture {
  const root = testVmDir(options.name);
  const labDir = join(root, "lab");
  const dir = join(root, "vm");
  const files = vmFiles(dir);
  const inventory = join(dir, "inventory.yaml");
  const knownHosts = join(dir, "known_hosts");
  const accel = options.accel ?? (process.env.PINE_VM_ACCEL === "kvm" ? "kvm" : "tcg");
  let lab: LabState | undefined;
  let host: VmHost | undefined;
  let bootMs = 0;

  const stop = async () => {
    await stopVmHost({ name: options.name, dir });
  };

  let release: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    // Another test run (another engineer's `npm test` in the same checkout) may be using this VM right now:
    // wait for it instead of taking its VM down as "leftovers".
    release = await holdVmName(options.name);
    await stop();
    await labDown({ name: options.name, dir: labDir, removeDir: true });
    const cached = await isVmDiskCached();
    const diskStarted = Date.now();
    const disk = await ensureVmDisk();
    console.info(`VM disk ${cached ? "cached" : "built fresh"} in ${Date.now() - diskStarted} ms: ${disk}`);

    lab = await labUp({ name: options.name, hosts: 0, dir: labDir });
    const address = hostAddress(labSubnet(Number(lab.subnet.split(".")[2])), 1);
    const started = Date.now();
    host = await startVmHost({
      name: options.name,
      dir,
      address,
      prefix: 24,
      gateway: lab.gateway,
      bridge: lab.bridge,
      key: lab.key,
      disk,
      memoryMiB: options.memoryMiB,
      accel,
    });
    console.info(`VM ${options.name}: ${host.accelNote}`);
    const vm = host;
    await writeFile(knownHosts, `${address} ${vm.hostKey.split(/\s+/).slice(0, 2).join(" ")}\n`);
    await writeFile(inventory, renderVmInventory(lab, knownHosts, options.inventoryName ?? "vm1", address));
    await waitForSsh(address, vm.hostKey, DEFAULT_SSH_WAIT_MS, { alive: () => isVmSupervisorRunning(vm.files), console: vm.files.console });
    bootMs = Date.now() - started;
    console.info(`VM ${options.name} (${address}): qemu start to SSH in ${bootMs} ms; console ${vm.files.console}`);
  }, VM_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    try {
      await stop();
      await labDown({ name: options.name, dir: labDir, removeDir: true });
    } finally {
      await release?.();
    }
  }, 120_000);

  const fixture: VmFixture = {
    dir,
    console: files.console,
    get host(): VmHost {
      if (!host) throw new Error(`VM ${options.name} is not up (its beforeAll failed or has not run); see ${files.console}`);
      return host;
    },
    get lab(): LabState {
      if (!lab) throw new Error(`the lab of VM ${options.name} is not up`);
      return lab;
    },
    get address(): string {
      return fixture.host.address;
    },
    inventory,
    knownHosts,
    get key(): string {
      return fixture.lab.key;
    },
    get bootMs(): number {
      return bootMs;
    },
    async ssh(command: string, timeoutMs = 60_000): Promise<string> {
      const { stdout } = await run("ssh", [...sshOptions(fixture.key, knownHosts), `root@${fixture.address}`, command], {
        timeout: timeoutMs,
        killSignal: "SIGKILL",
      });
      return stdout.trim();
    },
    waitForSsh(timeoutMs = DEFAULT_SSH_WAIT_MS): Promise<number> {
      const vm = fixture.host;
      return waitForSsh(vm.address, vm.hostKey, timeoutMs, { alive: () => isVmSupervisorRunning(vm.files), console: vm.files.console });
    },
    stop,
  };
  return fixture;
}

const NAME_WAIT_MS = 15 * 60_000;

/**
 * Takes the machine-wide claim on a test VM name (a directory under /run holding the owner's PID and start
 * time), waiting while a live process holds it; a claim whose owner is gone is a crashed run's and is taken
 * over. Resolves with the release. Test-only: names are fixed per test file so a crashed run's leftovers are
 * found, which two concurrent runs would otherwise turn into killing each other's VMs.
 */
export async function holdVmName(name: string): Promise<() => Promise<void>> {
  const lock = `/run/pine-test-vm-${name}.lock`;
  const me = await processStamp(process.pid);
  const deadline = Date.now() + NAME_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, "owner"), me);
      return async () => {
        if ((await readFile(join(lock, "owner"), "utf8").catch(() => "")) === me) await rm(lock, { recursive: true, force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = await readFile(join(lock, "owner"), "utf8").catch(() => "");
    const pid = Number(owner.split(" ")[0]);
    // No owner yet is a claim being written this instant (or one whose writer died right then: stale after a
    // few seconds); an owner whose PID now has another start time is gone.
    const claimedAt = (await stat(lock).catch(() => undefined))?.mtimeMs ?? 0;
    const alive = owner === "" ? Date.now() - claimedAt < 10_000 : Number.isInteger(pid) && pid > 0 && (await processStamp(pid).catch(() => "")) === owner;
    if (!alive) {
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`test VM ${name} is held by process ${pid} (another test run) for more than ${NAME_WAIT_MS} ms; remove ${lock} if it is not running`);
    }
    await sleep(2_000);
  }
}

/** "PID STARTTIME": the start time (field 22 of /proc/PID/stat) tells a live owner from a reused PID. */
async function processStamp(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return `${pid} ${fields[19]}`;
}

/** The real ssh client with nothing of this machine's user config: the lab key, the VM's known_hosts, strict checking. */
export function sshOptions(key: string, knownHosts: string): string[] {
  return [
    "-F", "/dev/null",
    "-i", key,
    "-o", "IdentitiesOnly=yes",
    "-o", `UserKnownHostsFile=${knownHosts}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "StrictHostKeyChecking=yes",
    "-o", "BatchMode=yes",
    "-o", "ConnectTimeout=10",
    "-o", "ServerAliveInterval=5",
    "-o", "ServerAliveCountMax=3",
  ];
}

function renderVmInventory(lab: LabState, knownHosts: string, name: string, address: string): string {
  return [
    "defaults:",
    "  user: root",
    `  key: ${lab.key}`,
    `  knownHosts: ${knownHosts}`,
    "  hostKeyCheck: strict",
    "hosts:",
    `  ${name}: { address: ${address}, data: { node: 1 } }`,
    "",
  ].join("\n");
}
