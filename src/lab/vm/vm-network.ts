// A VM host's network: a namespace holding a bridge that joins qemu's tap to a veth whose other end is a port of the lab bridge.
//
//   lab bridge (root namespace) ── pvm-NAME ══ uplink ── br0 ── tap0 ── qemu's virtio NIC (the guest's eth0)
//                                            (namespace pinevm-NAME)
// The namespace holds no address of its own: the guest answers for its address, as a real VM on a bridged host does.
import { PineError } from "../../errors.js";
import { listLinks, listNamespaces } from "../interfaces.js";
import { runLocal, succeeds } from "../local-command.js";
import type { VmNames } from "./names.js";

export async function createVmNetwork(names: VmNames, labBridge: string, address: string): Promise<void> {
  const { namespace, veth } = names;
  const inside = (...args: string[]) => runLocal("ip", ["-n", namespace, ...args], { step: `configure ${namespace}` });
  if (!(await listLinks()).includes(labBridge)) {
    throw new PineError(`the bridge ${labBridge} does not exist`, {
      step: `connect ${namespace} to ${labBridge}`,
      hint: "start the lab first (`pine lab up`), or pass the name of an existing bridge",
    });
  }
  await runLocal("ip", ["netns", "add", namespace], { step: `create namespace ${namespace}` });
  // Created straight inside the namespace, so the fixed inner names can never clash with another VM's.
  await runLocal("ip", ["link", "add", veth, "type", "veth", "peer", "name", names.uplink, "netns", namespace], {
    step: `create veth ${veth}`,
  });
  await runLocal("ip", ["link", "set", veth, "master", labBridge, "up"], { step: `attach ${veth} to ${labBridge}` });
  await inside("link", "set", "lo", "up");
  await inside("link", "add", names.bridge, "type", "bridge");
  await inside("link", "set", names.uplink, "master", names.bridge, "up");
  // A persistent tap qemu attaches to by name (script=no): qemu itself needs no network configuration rights.
  await inside("tuntap", "add", "dev", names.tap, "mode", "tap");
  await inside("link", "set", names.tap, "master", names.bridge, "up");
  await inside("link", "set", names.bridge, "up");
  // A VM rebuilt at the same address may come with another MAC; a cached neighbour entry would point at the old one.
  await succeeds("ip", ["neigh", "flush", "to", address, "dev", labBridge]);
}

/** Removes whatever exists of the VM's network; deleting the namespace takes the bridge, the tap and the veth's far end with it. */
export async function removeVmNetwork(names: VmNames): Promise<void> {
  if ((await listLinks()).includes(names.veth)) await succeeds("ip", ["link", "delete", names.veth]);
  if ((await listNamespaces()).includes(names.namespace)) {
    await runLocal("ip", ["netns", "delete", names.namespace], { step: `delete namespace ${names.namespace}` });
  }
}
