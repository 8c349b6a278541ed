// Preflight: everything install must know about a host, gathered in one round trip, and the verdict —
// which path (vm or container), or the reasons the host does not fit. Pure apart from the one gather.
import { UsageError } from "../../src/errors.js";
import type { HostContext } from "../../src/host.js";
import type { Fact } from "../../src/facts/define.js";
import { firmware } from "../../facts/boot/firmware.js";
import { rootDisk, type RootDisk } from "../../facts/block/root-disk.js";
import { modules } from "../../facts/kernel/modules.js";
import { addresses } from "../../facts/net/addresses.js";
import { dns } from "../../facts/net/dns.js";
import { gateway } from "../../facts/net/gateway.js";
import { interfaces } from "../../facts/net/interfaces.js";
import { release } from "../../facts/pine/release.js";
import { distro } from "../../facts/server/distro.js";
import { init } from "../../facts/server/init.js";
import { login } from "../../facts/server/login.js";
import { memory } from "../../facts/server/memory.js";
import { virt } from "../../facts/server/virt.js";
import { isControllerMachine, kernelIdentity, localKernelIdentity, type KernelIdentity } from "../../facts/server/kernel-identity.js";
import type { InstallConfig, InstallMode } from "./config.js";
import { planNetwork, type TargetNetwork } from "./network.js";
import { planDataPartitions, type DiskLayout } from "./partitions.js";

const MiB = 1024 * 1024;

export interface Preflight {
  mode: InstallMode | null;
  /** Reasons the host cannot be installed; empty when it can. */
  refusals: string[];
  /** Already running pine: its version. */
  pineVersion: string | null;
  distro: string;
  init: string;
  virt: string;
  network: TargetNetwork | null;
  nameservers: string[];
  disk: RootDisk | null;
  layout: DiskLayout | null;
  notes: string[];
}

const FACTS: readonly Fact<unknown>[] = [login, kernelIdentity, virt, distro, init, firmware, rootDisk, memory, modules, addresses, gateway, interfaces, dns, release];

/** The controller's own kernel boot and PID namespace, read locally. */
export const controllerIdentity = localKernelIdentity;

/**
 * Never flash or reboot the machine pine runs on: a host in the controller's PID namespace is that machine
 * (a reboot there restarts the controller), and a "VM" on the controller's kernel is not a VM of its own.
 */
export function controllerClash(hostId: KernelIdentity, controller: KernelIdentity, mode: InstallMode | null): string | null {
  if (isControllerMachine(hostId, controller)) {
    return "this host shares the controller's kernel and PID namespace: it is the machine pine runs on, and installing would destroy it";
  }
  if (mode === "vm" && hostId.bootId === controller.bootId) {
    return "this host runs on the controller's own kernel, so it is not a separate VM: refusing to write over its disk";
  }
  return null;
}

export async function preflight(host: HostContext, config: InstallConfig, controller: KernelIdentity = controllerIdentity()): Promise<Preflight> {
  const results = await host.gather(FACTS);
  const get = <T>(fact: Fact<T>): { value: T } | { reason: string } => {
    const r = results[FACTS.indexOf(fact as Fact<unknown>)]!;
    return r.ok ? { value: r.value as T } : { reason: r.reason };
  };
  const val = <T>(fact: Fact<T>): T | null => {
    const r = get(fact);
    return "value" in r ? r.value : null;
  };
  const refusals: string[] = [];
  const notes: string[] = [];

  const who = val(login);
  if (!who) refusals.push(`cannot tell which user pine runs as: ${reasonOf(get(login))}`);
  else if (who.uid !== 0) refusals.push(`pine runs as ${who.user} (uid ${who.uid}), not root: set sudo: true for this host (or log in as root)`);

  const v = val(virt);
  let mode: InstallMode | null = config.mode ?? null;
  if (!mode) {
    if (!v) refusals.push(`cannot tell the virtualisation: ${reasonOf(get(virt))}; set data.install.mode (vm or container)`);
    else if (v.kind === "vm") mode = "vm";
    else if (v.kind === "openvz" || v.kind === "lxc") mode = "container";
    else refusals.push(`virtualisation is "${v.kind}" (${v.evidence}): pine installs only over VMs (KVM/Xen) and OpenVZ/LXC containers; set data.install.mode to override`);
  }

  const identity = val(kernelIdentity);
  if (!identity) refusals.push(`cannot read the host's kernel identity (boot id): ${reasonOf(get(kernelIdentity))}`);
  else {
    const clash = controllerClash(identity, controller, mode);
    if (clash) refusals.push(clash);
  }

  const d = val(distro);
  const pine = val(release);
  const mem = val(memory);
  if (mem && mem.totalBytes < 48 * MiB) refusals.push(`only ${Math.round(mem.totalBytes / MiB)} MiB of RAM: pine needs at least 48 MiB to stream the image`);

  let network: TargetNetwork | null = null;
  const addrs = val(addresses);
  const gw = val(gateway);
  const ifs = val(interfaces);
  if (!addrs || !gw || !ifs) {
    refusals.push(`cannot read the network: ${[get(addresses), get(gateway), get(interfaces)].map(reasonOf).filter(Boolean).join("; ")}`);
  } else {
    try {
      network = planNetwork(host.name, { addresses: addrs, gateway: gw, interfaces: ifs }, config.network);
      notes.push(...network.notes);
    } catch (error) {
      refusals.push(error instanceof UsageError ? stripHost(error.message, host.name) : String(error));
    }
  }

  let disk: RootDisk | null = null;
  let layout: DiskLayout | null = null;
  if (mode === "vm") {
    const fw = val(firmware);
    if (fw === "uefi") refusals.push("the host boots with UEFI: pine's image boots with BIOS only");
    else if (!fw) refusals.push(`cannot tell BIOS from UEFI: ${reasonOf(get(firmware))}`);
    disk = val(rootDisk);
    if (!disk) refusals.push(`cannot find the disk under /: ${reasonOf(get(rootDisk))}`);
    else {
      try {
        layout = planDataPartitions(host.name, disk.sizeBytes, config.parts);
      } catch (error) {
        refusals.push(error instanceof UsageError ? stripHost(error.message, host.name) : String(error));
      }
    }
    const mods = val(modules);
    if (!mods) refusals.push(`cannot tell kernel support for loop and xfs: ${reasonOf(get(modules))}`);
    else {
      if (!mods.loop.usable) refusals.push("the kernel has no loop device support: pine needs it to write the network config into the image");
      if (!mods.xfs.usable) refusals.push("the kernel cannot mount xfs: pine needs it to write the network config into the image");
    }
  }

  return {
    mode,
    refusals,
    pineVersion: pine?.version ?? null,
    distro: d ? `${d.name} ${d.version}` : "unknown distribution",
    init: val(init) ?? "unknown",
    virt: v ? `${v.kind}${v.hypervisor ? ` (${v.hypervisor})` : ""}` : "unknown",
    network,
    nameservers: val(dns)?.servers ?? [],
    disk,
    layout,
    notes,
  };
}

function reasonOf(r: { value: unknown } | { reason: string }): string {
  return "reason" in r ? r.reason : "";
}

function stripHost(message: string, host: string): string {
  return message.replace(`host ${host}: `, "");
}
