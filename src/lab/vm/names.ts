// A VM host's names, derived from its name alone: its network namespace, the veth into the lab bridge, the devices inside, its MAC.
import { createHash } from "node:crypto";
import { UsageError } from "../../errors.js";

/** Names end up in interface names (IFNAMSIZ is 16 incl. NUL): `pvm-` + 10 characters is the longest that fits. */
const VM_NAME = /^[a-z0-9]{1,10}$/;

export function assertVmName(name: string): void {
  if (!VM_NAME.test(name)) {
    throw new UsageError(`invalid VM name ${JSON.stringify(name)}: use 1 to 10 characters from [a-z0-9]`, {
      hint: "the name becomes part of interface and namespace names, which Linux limits to 15 characters",
    });
  }
}

export interface VmNames {
  /** The network namespace qemu and its supervisor run in. Not `pine-LAB-I`: a lab never mistakes it for one of its hosts. */
  namespace: string;
  /** The root-namespace end of the veth pair, a port of the lab bridge. */
  veth: string;
  /** Inside the namespace: the veth's other end, the bridge joining it to the tap, the tap qemu opens. */
  uplink: string;
  bridge: string;
  tap: string;
  /** The guest NIC's MAC: fixed per name, so the controller's neighbour entry stays right across the VM's reboots. */
  mac: string;
}

export function vmNames(name: string): VmNames {
  assertVmName(name);
  return { namespace: `pinevm-${name}`, veth: `pvm-${name}`, uplink: "uplink", bridge: "br0", tap: "tap0", mac: vmMac(name) };
}

/** 52:54:00 is qemu's own prefix; the rest comes from the name, so two VMs on one bridge do not share qemu's default MAC. */
export function vmMac(name: string): string {
  const digest = createHash("sha256").update(name).digest();
  return ["52", "54", "00", ...[0, 1, 2].map((i) => digest[i]!.toString(16).padStart(2, "0"))].join(":");
}
