// net.addresses: every IPv4/IPv6 address with its interface, prefix length and scope.
// Reads `ip -o addr` (iproute2 3.x-6.x and busybox print the same one-line shape); without ip,
// ifconfig (net-tools or busybox, old or new layout) for IPv4 and /proc/net/if_inet6 for IPv6.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, section, sections, throwIfUnavailable } from "../output.js";

export interface Address {
  /** The interface (device) name, without any `:label` alias suffix or `@peer`. */
  iface: string;
  family: 4 | 6;
  address: string;
  prefix: number;
  /** "global", "link", "host", "site", or a number when the kernel gives one iproute2 does not name. */
  scope: string;
}

export const addressesCommand = [
  `if command -v ip >/dev/null 2>&1 && pine_out=$(ip -o addr show 2>/dev/null) && [ -n "$pine_out" ]; then`,
  `  echo @@ip; printf '%s\\n' "$pine_out"`,
  `elif command -v ifconfig >/dev/null 2>&1; then`,
  `  echo @@ifconfig; LC_ALL=C ifconfig -a 2>/dev/null`,
  `  echo @@if_inet6; cat /proc/net/if_inet6 2>/dev/null`,
  `else echo '@@unavailable neither ip nor ifconfig is installed'; fi`,
].join("\n");

export const addresses = defineFact<Address[]>({
  name: "net.addresses",
  inline: true,
  command: addressesCommand,
  parse(output) {
    requireSmall(output, "net.addresses", 4 * 1024 * 1024);
    const all = sections(output.stdout);
    throwIfUnavailable(all);
    const ip = section(all, "ip");
    if (ip) return parseIpAddr(ip.lines);
    const ifc = section(all, "ifconfig");
    if (ifc) return [...parseIfconfig(ifc.lines), ...parseIfInet6(section(all, "if_inet6")?.lines ?? [])];
    throw new FactUnavailable("no address listing in the output");
  },
});

/** `4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\       valid_lft ...` */
export function parseIpAddr(lines: readonly string[]): Address[] {
  const out: Address[] = [];
  for (const line of lines) {
    const words = line.split("\\")[0]!.trim().split(/\s+/);
    // words: "4:", "eth0", "inet", "192.0.2.2/24", ...
    if (words.length < 4 || !/^\d+:$/.test(words[0]!)) continue;
    const family = words[2] === "inet" ? 4 : words[2] === "inet6" ? 6 : null;
    if (family === null) continue;
    const iface = words[1]!.replace(/@.*$/, "").replace(/:$/, "");
    let addr = words[3]!;
    // Point-to-point: "inet 10.0.0.1 peer 10.0.0.2/32": the prefix is on the peer.
    const peerAt = words.indexOf("peer");
    let prefixText: string | undefined = addr.includes("/") ? addr.split("/")[1] : undefined;
    if (!prefixText && peerAt > 0) prefixText = words[peerAt + 1]?.split("/")[1];
    addr = addr.split("/")[0]!;
    const prefix = prefixText !== undefined && /^\d+$/.test(prefixText) ? Number(prefixText) : family === 4 ? 32 : 128;
    const scopeAt = words.indexOf("scope");
    const scope = scopeAt > 0 ? (words[scopeAt + 1] ?? "global") : "global";
    out.push({ iface, family, address: addr, prefix, scope });
  }
  return out;
}

/** Both ifconfig layouts: net-tools >= 2.10 ("inet 1.2.3.4  netmask 255.0.0.0") and net-tools 1.60 / busybox ("inet addr:1.2.3.4  Mask:255.0.0.0"). IPv4 only. */
export function parseIfconfig(lines: readonly string[]): Address[] {
  const out: Address[] = [];
  let iface = "";
  for (const line of lines) {
    if (/^\S/.test(line)) {
      iface = line.split(/[\s]/)[0]!.replace(/:$/, "").replace(/:.*$/, "");
      continue;
    }
    const modern = /^\s+inet (\d+\.\d+\.\d+\.\d+)\s+netmask (\S+)/.exec(line);
    const old = /^\s+inet addr:(\d+\.\d+\.\d+\.\d+).*?Mask:(\S+)/.exec(line);
    const m = modern ?? old;
    if (!m || !iface) continue;
    const prefix = netmaskToPrefix(m[2]!);
    if (prefix === null) continue;
    out.push({ iface, family: 4, address: m[1]!, prefix, scope: m[1]!.startsWith("127.") ? "host" : "global" });
  }
  return out;
}

/** /proc/net/if_inet6: "fe800000000000000000000000000001 02 40 20 80 eth0" (address, index, prefix, scope, flags, name; hex). */
export function parseIfInet6(lines: readonly string[]): Address[] {
  const out: Address[] = [];
  for (const line of lines) {
    const w = line.trim().split(/\s+/);
    if (w.length < 6 || !/^[0-9a-f]{32}$/i.test(w[0]!)) continue;
    out.push({ iface: w[5]!, family: 6, address: compressIpv6(w[0]!), prefix: parseInt(w[2]!, 16), scope: ipv6ScopeName(parseInt(w[3]!, 16)) });
  }
  return out;
}

function ipv6ScopeName(scope: number): string {
  switch (scope & 0xf0) {
    case 0x00: return "global";
    case 0x10: return "host";
    case 0x20: return "link";
    case 0x40: return "site";
    default: return String(scope);
  }
}

export function netmaskToPrefix(mask: string): number | null {
  const hex = /^0x([0-9a-f]{8})$/i.exec(mask);
  const parts = hex ? hex[1]!.match(/../g)!.map((h) => parseInt(h, 16)) : mask.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  const bits = parts.map((p) => p.toString(2).padStart(8, "0")).join("");
  return /^1*0*$/.test(bits) ? bits.indexOf("0") === -1 ? 32 : bits.indexOf("0") : null;
}

/** 32 hex digits to the RFC 5952 text form (as iproute2 prints it). */
export function compressIpv6(hex32: string): string {
  const groups = hex32.toLowerCase().match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ""));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return groups.join(":");
  return `${groups.slice(0, bestStart).join(":")}::${groups.slice(bestStart + bestLen).join(":")}`;
}

