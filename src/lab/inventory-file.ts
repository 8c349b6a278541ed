// The files a lab hands to pine and to ssh: inventory.yaml and known_hosts.
import type { LabHostState } from "./state.js";

export interface InventoryPaths {
  key: string;
  knownHosts: string;
}

/** inventory.yaml: root over the lab key with strict host key checking, hosts h1..hN, all in group `lab`. */
export function renderInventory(paths: InventoryPaths, hosts: readonly LabHostState[]): string {
  const lines = [
    "defaults:",
    "  user: root",
    `  key: ${paths.key}`,
    `  knownHosts: ${paths.knownHosts}`,
    "  hostKeyCheck: strict",
    hosts.length === 0 ? "hosts: {}" : "hosts:",
    ...hosts.map((host) => `  ${host.name}: { address: ${host.address}, data: { node: ${host.index} } }`),
    "groups:",
    `  lab: { hosts: [${hosts.map((host) => host.name).join(", ")}] }`,
  ];
  return `${lines.join("\n")}\n`;
}

/** known_hosts with each host's real host key: `ADDRESS ssh-ed25519 AAAA...`. */
export function renderKnownHosts(hosts: readonly LabHostState[]): string {
  return hosts.map((host) => `${host.address} ${host.hostKey.split(/\s+/).slice(0, 2).join(" ")}\n`).join("");
}
