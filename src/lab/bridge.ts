// The lab's bridge in the controller's namespace, holding .1 of a 10.77.K.0/24 subnet no other interface uses.
import { PineError } from "../errors.js";
import { listIpv4Addresses, listLinks, type InterfaceAddress } from "./interfaces.js";
import { runLocal } from "./local-command.js";
import { bridgeMac, bridgeName, candidateSubnetOctets, labSubnet, overlapsSubnet, type LabSubnet } from "./names.js";
import { withSubnetLock } from "./subnet-lock.js";

/** Creates the bridge (or keeps the existing one and its subnet) and claims a subnet no other interface overlaps. */
export async function ensureBridge(lab: string, remembered?: number): Promise<LabSubnet> {
  const bridge = bridgeName(lab);
  if (!(await listLinks()).includes(bridge)) {
    // A fixed MAC: by default a bridge takes its lowest port's MAC, so adding or removing one host
    // would change it and leave every other host's ARP entry for the controller pointing nowhere.
    await runLocal("ip", ["link", "add", bridge, "address", bridgeMac(lab), "type", "bridge"], {
      step: `create bridge ${bridge}`,
    });
  }
  await runLocal("ip", ["link", "set", bridge, "up"], { step: `bring up bridge ${bridge}` });

  const current = (await listIpv4Addresses()).find((entry) => entry.link === bridge);
  const octet = current ? Number(current.address.split(".")[2]) : undefined;
  if (current && octet !== undefined) return labSubnet(octet);

  const candidates = candidateSubnetOctets(lab);
  const order = remembered === undefined ? candidates : [remembered, ...candidates.filter((o) => o !== remembered)];
  const claimed = await withSubnetLock(async () => {
    const addresses = await listIpv4Addresses();
    const free = order.map(labSubnet).find((subnet) => clashes(addresses, bridge, subnet).length === 0);
    if (free) {
      await runLocal("ip", ["addr", "add", `${free.gateway}/24`, "dev", bridge], { step: `address bridge ${bridge}` });
    }
    return free;
  });
  if (claimed) return claimed;
  throw new PineError(`no free subnet in 10.77.0.0/16 for lab ${lab}`, {
    step: `choose a subnet for ${bridge}`,
    hint: "remove unused labs with `pine lab down` or free addresses in 10.77.0.0/16",
  });
}

export async function removeBridge(lab: string): Promise<void> {
  const bridge = bridgeName(lab);
  if ((await listLinks()).includes(bridge)) {
    await runLocal("ip", ["link", "delete", bridge], { step: `delete bridge ${bridge}` });
  }
}

function clashes(addresses: InterfaceAddress[], bridge: string, subnet: LabSubnet): InterfaceAddress[] {
  return addresses.filter((entry) => entry.link !== bridge && overlapsSubnet(entry.address, entry.prefixLength, subnet));
}
