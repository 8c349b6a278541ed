// A lab's names and addresses, derived from its name alone: bridge, namespaces, veths, subnet, host addresses.
import { UsageError } from "../errors.js";

/** Lab names end up inside interface names (IFNAMSIZ is 16 incl. NUL), so they stay short. */
const LAB_NAME = /^[a-z0-9]{1,6}$/;
/** Host i gets .(HOST_OFFSET + i); .1 is the bridge (the controller). */
export const HOST_OFFSET = 10;
export const MAX_HOSTS = 254 - HOST_OFFSET;
const SUBNET_PREFIX = "10.77";

export function assertLabName(name: string): void {
  if (!LAB_NAME.test(name)) {
    throw new UsageError(`invalid lab name ${JSON.stringify(name)}: use 1 to 6 characters from [a-z0-9]`, {
      hint: "the name becomes part of interface names, which Linux limits to 15 characters",
    });
  }
}

export function assertHostCount(hosts: number): void {
  if (!Number.isInteger(hosts) || hosts < 0 || hosts > MAX_HOSTS) {
    throw new UsageError(`invalid host count ${hosts}: use a whole number from 0 to ${MAX_HOSTS}`);
  }
}

export function bridgeName(lab: string): string {
  return `pb-${lab}`;
}

export function namespaceName(lab: string, index: number): string {
  return `pine-${lab}-${index}`;
}

/** The root-namespace end of host i's veth pair; the other end is `eth0` inside the namespace. */
export function vethName(lab: string, index: number): string {
  return `pv-${lab}-${index}`;
}

export function hostName(index: number): string {
  return `h${index}`;
}

/** Index of a lab's namespace or veth from its name, or undefined when it belongs to something else. */
export function indexFromNamespace(lab: string, namespace: string): number | undefined {
  return trailingIndex(`pine-${lab}-`, namespace);
}

export function indexFromVeth(lab: string, link: string): number | undefined {
  return trailingIndex(`pv-${lab}-`, link);
}

function trailingIndex(prefix: string, text: string): number | undefined {
  if (!text.startsWith(prefix)) return undefined;
  const rest = text.slice(prefix.length);
  return /^[1-9][0-9]*$/.test(rest) ? Number(rest) : undefined;
}

/** The third octet a lab prefers: its name's hash folded into 1..254, so different labs rarely meet. */
export function preferredSubnetOctet(lab: string): number {
  return (nameHash(lab) % 254) + 1;
}

/** A locally administered unicast MAC for the lab's bridge, stable for a name. */
export function bridgeMac(lab: string): string {
  const hash = nameHash(lab);
  const bytes = [0x02, 0x70, 0x62, (hash >>> 16) & 0xff, (hash >>> 8) & 0xff, hash & 0xff];
  return bytes.map((byte) => byte.toString(16).padStart(2, "0")).join(":");
}

/** FNV-1a, 32 bits. */
function nameHash(lab: string): number {
  let hash = 0x811c9dc5;
  for (const char of lab) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Octets to try in order: the preferred one first, then the following ones, wrapping within 1..254. */
export function candidateSubnetOctets(lab: string): number[] {
  const first = preferredSubnetOctet(lab);
  return Array.from({ length: 254 }, (_, step) => ((first - 1 + step) % 254) + 1);
}

export interface LabSubnet {
  octet: number;
  /** CIDR, e.g. 10.77.42.0/24 */
  cidr: string;
  /** The bridge's address: the controller as seen from hosts. */
  gateway: string;
}

export function labSubnet(octet: number): LabSubnet {
  return { octet, cidr: `${SUBNET_PREFIX}.${octet}.0/24`, gateway: `${SUBNET_PREFIX}.${octet}.1` };
}

export function hostAddress(subnet: LabSubnet, index: number): string {
  return `${SUBNET_PREFIX}.${subnet.octet}.${HOST_OFFSET + index}`;
}

/** Whether an interface address with its prefix length overlaps the lab subnet (10.77.K.0/24). */
export function overlapsSubnet(address: string, prefixLength: number, subnet: LabSubnet): boolean {
  const other = ipv4ToNumber(address);
  if (other === undefined) return false;
  const lab = ipv4ToNumber(`${SUBNET_PREFIX}.${subnet.octet}.0`)!;
  const bits = Math.min(prefixLength, 24);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((other & mask) >>> 0) === ((lab & mask) >>> 0);
}

function ipv4ToNumber(address: string): number | undefined {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) return undefined;
  return parts.reduce((sum, part) => sum * 256 + part, 0);
}
