// The network the installed system will use: from the host's facts, with inventory overrides on top,
// rendered as /etc/network/interfaces and pine's network-environment file.
import { UsageError } from "../../src/errors.js";
import type { Address } from "../../facts/net/addresses.js";
import type { Gateways } from "../../facts/net/gateway.js";
import type { NetInterface } from "../../facts/net/interfaces.js";
import type { NetworkOverrides } from "./config.js";

export interface TargetNetwork {
  /** Interface name on the NEW system. */
  iface: string;
  /** Interface name on the old system (for messages). */
  currentIface: string;
  ipv4: { address: string; prefix: number; gateway: string | null } | null;
  ipv6: { address: string; prefix: number; gateway: string | null } | null;
  /** OpenVZ venet: no gateway address, the default route goes through the device. */
  deviceRoute: boolean;
  notes: string[];
}

export function planNetwork(
  host: string,
  facts: { addresses: readonly Address[]; gateway: Gateways; interfaces: readonly NetInterface[] },
  overrides: NetworkOverrides,
): TargetNetwork {
  const notes: string[] = [];
  const defaultDev = facts.gateway.v4?.dev ?? facts.gateway.v6?.dev ?? null;
  const currentIface = overrides.iface ?? defaultDev ?? facts.interfaces.find((i) => i.kind !== "loopback")?.name;
  if (!currentIface) {
    throw new UsageError(`host ${host}: cannot tell which interface carries its address (no default route)`, { hint: "set data.network.iface (and address, netmask, gateway) in the inventory" });
  }
  const kind = facts.interfaces.find((i) => i.name === currentIface)?.kind;
  const deviceRoute = kind === "venet" || (facts.gateway.v4 !== null && facts.gateway.v4.gateway === null);
  // pine OS does not rename interfaces the way udev does: a NIC is ethN there.
  let iface = overrides.iface ?? currentIface;
  if (!overrides.iface && !/^(eth|venet)\d+$/.test(currentIface)) {
    iface = "eth0";
    notes.push(`interface ${currentIface} will be called eth0 on pine OS (set data.network.iface if that is wrong)`);
  }
  const v4 = facts.addresses.find((a) => a.iface === currentIface && a.family === 4 && a.scope === "global");
  const v6 = facts.addresses.find((a) => a.iface === currentIface && a.family === 6 && a.scope === "global");
  const address = overrides.address ?? v4?.address;
  const prefix = overrides.netmask !== undefined ? maskToPrefix(overrides.netmask, host) : v4?.prefix;
  const ipv4 =
    address && prefix !== undefined
      ? { address, prefix, gateway: overrides.gateway ?? facts.gateway.v4?.gateway ?? null }
      : null;
  let ipv6: TargetNetwork["ipv6"] = null;
  if (overrides.ipv6) {
    const [a, p] = overrides.ipv6.split("/");
    ipv6 = { address: a!, prefix: Number(p ?? 64), gateway: overrides.ipv6Gateway ?? facts.gateway.v6?.gateway ?? null };
  } else if (v6) {
    ipv6 = { address: v6.address, prefix: v6.prefix, gateway: overrides.ipv6Gateway ?? facts.gateway.v6?.gateway ?? null };
  }
  if (!ipv4 && !ipv6) {
    throw new UsageError(`host ${host}: ${currentIface} has no global address to keep`, { hint: "set data.network.address and netmask in the inventory" });
  }
  if (ipv4 && !ipv4.gateway && !deviceRoute) notes.push("no IPv4 default gateway: the host will only reach its own subnet");
  return { iface, currentIface, ipv4, ipv6, deviceRoute, notes };
}

export function maskToPrefix(mask: string | number, host: string): number {
  if (typeof mask === "number" || /^\d+$/.test(mask)) {
    const n = Number(mask);
    if (n >= 0 && n <= 32) return n;
  } else {
    const parts = mask.split(".").map(Number);
    if (parts.length === 4 && parts.every((p) => p >= 0 && p <= 255)) {
      const bits = parts.map((p) => p.toString(2).padStart(8, "0")).join("");
      if (/^1*0*$/.test(bits)) return bits.indexOf("0") < 0 ? 32 : bits.indexOf("0");
    }
  }
  throw new UsageError(`host ${host}: data.network.netmask ${JSON.stringify(mask)} is not a netmask or prefix length`);
}

export function prefixToMask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join(".");
}

/** ifupdown syntax, which pine OS's ifupdown-ng reads as well. */
export function renderInterfaces(net: TargetNetwork): string {
  const lines = ["# Written by pine install. pine OS reads it at boot.", "auto lo", "iface lo inet loopback", "", `auto ${net.iface}`];
  if (net.ipv4) {
    lines.push(`iface ${net.iface} inet static`, `\taddress ${net.ipv4.address}`, `\tnetmask ${prefixToMask(net.ipv4.prefix)}`);
    if (net.ipv4.gateway) lines.push(`\tgateway ${net.ipv4.gateway}`);
    else if (net.deviceRoute) lines.push(`\tpost-up ip route add default dev ${net.iface}`);
  }
  if (net.ipv6) {
    lines.push(`iface ${net.iface} inet6 static`, `\taddress ${net.ipv6.address}`, `\tnetmask ${net.ipv6.prefix}`);
    if (net.ipv6.gateway) lines.push(`\tgateway ${net.ipv6.gateway}`);
    else if (net.deviceRoute) lines.push(`\tpost-up ip -6 route add default dev ${net.iface}`);
  }
  return `${lines.join("\n")}\n`;
}

/** KEY=value lines pine OS's services source (NODE, IFACE, IPV4, ...); empty values for what is absent. */
export function renderNetworkEnvironment(node: number, net: TargetNetwork): string {
  const env: Record<string, string | number> = {
    NODE: node,
    IFACE: net.iface,
    IPV4: net.ipv4?.address ?? "",
    IPV4_PREFIX: net.ipv4?.prefix ?? "",
    IPV4_GATEWAY: net.ipv4?.gateway ?? "",
    IPV6: net.ipv6?.address ?? "",
    IPV6_PREFIX: net.ipv6?.prefix ?? "",
    IPV6_GATEWAY: net.ipv6?.gateway ?? "",
  };
  return Object.entries(env).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}
