// `pine lab status`: per host, whether its namespace exists, its sshd lives and its port answers.
import { listIpv4Addresses, listLinks } from "./interfaces.js";
import { checkLabHost, keeperPidFile, readPidFile, type LabHostHealth } from "./lab-host.js";
import { findHostIndexes } from "./lab-members.js";
import { labLayout } from "./layout.js";
import { assertLabName, bridgeName, hostAddress, hostName, labSubnet } from "./names.js";
import { assertRoot } from "./preconditions.js";
import { readLabState } from "./state.js";
import type { LabHostKind } from "./host-kind.js";

export interface LabStatus {
  name: string;
  /** The recorded kind; "plain" when there is no state to say otherwise. */
  kind: LabHostKind;
  dir: string;
  bridge: string;
  bridgePresent: boolean;
  subnet?: string;
  hosts: LabHostHealth[];
}

export interface LabStatusOptions {
  name: string;
  dir: string;
}

/** Looks at recorded hosts and at any trace of unrecorded ones (a crash before state.json was written). */
export async function labStatus(options: LabStatusOptions): Promise<LabStatus> {
  assertLabName(options.name);
  const layout = labLayout(options.dir);
  assertRoot();
  const lab = options.name;
  const bridge = bridgeName(lab);
  const state = await readLabState(layout.dir);
  const bridgePresent = (await listLinks()).includes(bridge);
  const bridgeAddress = (await listIpv4Addresses()).find((entry) => entry.link === bridge)?.address;
  const octet = Number((state?.name === lab ? state.subnet : bridgeAddress)?.split(".")[2]);
  const subnet = Number.isInteger(octet) ? labSubnet(octet) : undefined;
  const kind = state?.name === lab ? state.kind : "plain";

  const hosts = await Promise.all(
    (await findHostIndexes(lab, layout, state)).map(async (index) => {
      const recorded = state?.name === lab ? state.hosts.find((host) => host.index === index) : undefined;
      const name = hostName(index);
      const sshdPid = recorded?.sshdPid ?? (await readPidFile(keeperPidFile(layout, name, kind))) ?? 0;
      const address = recorded?.address ?? (subnet ? hostAddress(subnet, index) : "");
      return checkLabHost(lab, layout, { name, index, address, sshdPid }, kind);
    }),
  );
  return { name: lab, kind, dir: layout.dir, bridge, bridgePresent, ...(subnet ? { subnet: subnet.cidr } : {}), hosts };
}

