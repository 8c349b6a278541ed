// One host's network: a namespace with lo up and eth0, the far end of a veth whose near end is on the lab bridge.
import { listLinks, listNamespaces } from "./interfaces.js";
import { runLocal, succeeds } from "./local-command.js";
import { bridgeName, hostAddress, namespaceName, vethName, type LabSubnet } from "./names.js";

export async function createHostNetwork(lab: string, index: number, subnet: LabSubnet): Promise<void> {
  const namespace = namespaceName(lab, index);
  const veth = vethName(lab, index);
  const inside = (...args: string[]) => runLocal("ip", ["-n", namespace, ...args], { step: `configure ${namespace}` });

  await runLocal("ip", ["netns", "add", namespace], { step: `create namespace ${namespace}` });
  // Created straight inside the namespace as eth0, so no temporary name can clash with another lab's.
  await runLocal("ip", ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace], {
    step: `create veth ${veth}`,
  });
  await runLocal("ip", ["link", "set", veth, "master", bridgeName(lab), "up"], { step: `attach ${veth} to bridge` });
  await inside("link", "set", "lo", "up");
  await inside("addr", "add", `${hostAddress(subnet, index)}/24`, "dev", "eth0");
  await inside("link", "set", "eth0", "up");
  await inside("route", "add", "default", "via", subnet.gateway);
  // A host rebuilt at the same address has a new MAC; the controller's cached neighbour entry would
  // send its packets to the old one for many seconds.
  await runLocal("ip", ["neigh", "flush", "to", hostAddress(subnet, index), "dev", bridgeName(lab)], {
    step: `forget the old neighbour entry of ${namespace}`,
  });
}

/** Removes whatever exists of host i's network; missing parts are fine (half-built or already removed). */
export async function removeHostNetwork(lab: string, index: number): Promise<void> {
  const veth = vethName(lab, index);
  if ((await listLinks()).includes(veth)) await succeeds("ip", ["link", "delete", veth]);
  const namespace = namespaceName(lab, index);
  if ((await listNamespaces()).includes(namespace)) {
    await runLocal("ip", ["netns", "delete", namespace], { step: `delete namespace ${namespace}` });
  }
}
