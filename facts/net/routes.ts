// net.routes: the main routing table for IPv4 and IPv6, from `ip route` text (iproute2 or busybox) or /proc/net/route + ipv6_route.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, section, sections, throwIfUnavailable } from "../output.js";
import { compressIpv6 } from "./addresses.js";

export interface Route {
  family: 4 | 6;
  /** "default" or a CIDR ("192.0.2.0/24", "fe80::/64"). */
  destination: string;
  /** Route type when not a plain unicast route: "unreachable", "blackhole", "prohibit", "local", ... */
  type: string;
  gateway: string | null;
  dev: string | null;
  metric: number | null;
  proto: string | null;
  scope: string | null;
  src: string | null;
  /** The gateway is reachable on the link though outside its subnets (common on OpenVZ/Hetzner-style setups). */
  onlink: boolean;
  /** Further next hops of a multipath route (the first one is gateway/dev). */
  nexthops: Array<{ gateway: string | null; dev: string | null }>;
}

export const routesCommand = [
  `if command -v ip >/dev/null 2>&1 && pine_out=$(ip -4 route show table main 2>/dev/null); then`,
  `  echo @@ip4; printf '%s\\n' "$pine_out"`,
  `  echo @@ip6; ip -6 route show table main 2>/dev/null`,
  `elif [ -r /proc/net/route ]; then`,
  `  echo @@proc4; cat /proc/net/route`,
  `  echo @@proc6; cat /proc/net/ipv6_route 2>/dev/null`,
  `else echo '@@unavailable neither ip nor /proc/net/route'; fi`,
].join("\n");

const TYPES = new Set(["unicast", "unreachable", "blackhole", "prohibit", "local", "broadcast", "throw", "nat", "anycast", "multicast"]);

export function parseRoutes(stdout: string): Route[] {
  const all = sections(stdout);
  throwIfUnavailable(all);
  const ip4 = section(all, "ip4");
  if (ip4) return [...parseIpRoute(ip4.lines, 4), ...parseIpRoute(section(all, "ip6")?.lines ?? [], 6)];
  const proc4 = section(all, "proc4");
  if (proc4) return [...parseProcRoute(proc4.lines), ...parseProcIpv6Route(section(all, "proc6")?.lines ?? [])];
  throw new FactUnavailable("no routing table in the output");
}

export function parseIpRoute(lines: readonly string[], family: 4 | 6): Route[] {
  const out: Route[] = [];
  for (const line of lines) {
    const w = line.trim().split(/\s+/).filter(Boolean);
    if (w.length === 0) continue;
    if (/^\s/.test(line) && w[0] === "nexthop") {
      const last = out[out.length - 1];
      if (!last) continue;
      const hop = { gateway: valueAfter(w, "via"), dev: valueAfter(w, "dev") };
      if (last.gateway === null && last.dev === null) Object.assign(last, hop);
      else last.nexthops.push(hop);
      continue;
    }
    let i = 0;
    let type = "unicast";
    if (TYPES.has(w[0]!)) type = w[i++]!;
    const destination = w[i++];
    if (!destination) continue;
    const rest = w.slice(i);
    const metric = valueAfter(rest, "metric");
    out.push({
      family,
      destination: destination === "default" ? "default" : destination.includes("/") ? destination : `${destination}/${family === 4 ? 32 : 128}`,
      type,
      gateway: valueAfter(rest, "via")?.replace(/^inet6? /, "") ?? null,
      dev: valueAfter(rest, "dev"),
      metric: metric !== null && /^\d+$/.test(metric) ? Number(metric) : null,
      proto: valueAfter(rest, "proto"),
      scope: valueAfter(rest, "scope"),
      src: valueAfter(rest, "src"),
      onlink: rest.some((x) => x === "onlink"),
      nexthops: [],
    });
  }
  return out;
}

function valueAfter(words: readonly string[], key: string): string | null {
  const at = words.indexOf(key);
  if (at < 0) return null;
  const v = words[at + 1];
  // iproute2 >= 5 may print "via inet6 fe80::1" for a v6 gateway of a v4 route.
  if (key === "via" && (v === "inet" || v === "inet6")) return words[at + 2] ?? null;
  return v ?? null;
}

/** /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask ... — addresses in little-endian hex. */
export function parseProcRoute(lines: readonly string[]): Route[] {
  const out: Route[] = [];
  for (const line of lines.slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const flags = parseInt(f[3]!, 16);
    if (!(flags & 0x1)) continue; // RTF_UP
    const dest = hexToIpv4(f[1]!);
    const mask = hexToIpv4(f[7]!);
    const prefix = mask.split(".").reduce((n, o) => n + Number(o).toString(2).replace(/0/g, "").length, 0);
    const gw = hexToIpv4(f[2]!);
    out.push({
      family: 4,
      destination: dest === "0.0.0.0" && prefix === 0 ? "default" : `${dest}/${prefix}`,
      type: flags & 0x0200 ? "unreachable" : "unicast",
      gateway: flags & 0x2 ? gw : null,
      dev: f[0] === "*" ? null : f[0]!,
      metric: Number(f[6]),
      proto: null,
      scope: null,
      src: null,
      onlink: false,
      nexthops: [],
    });
  }
  return out;
}

function hexToIpv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join(".");
}

/** /proc/net/ipv6_route: dest destlen src srclen nexthop metric refcnt use flags iface (hex). Local/loopback table entries are skipped. */
export function parseProcIpv6Route(lines: readonly string[]): Route[] {
  const out: Route[] = [];
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^[0-9a-f]{32}$/.test(f[0]!)) continue;
    const flags = parseInt(f[8]!, 16);
    if (!(flags & 0x1) || f[9] === "lo") continue;
    const dest = compressIpv6(f[0]!);
    const len = parseInt(f[1]!, 16);
    const hop = compressIpv6(f[4]!);
    out.push({
      family: 6,
      destination: len === 0 && dest === "::" ? "default" : `${dest}/${len}`,
      type: flags & 0x0200 ? "unreachable" : "unicast",
      gateway: flags & 0x2 && hop !== "::" ? hop : null,
      dev: f[9]!,
      metric: parseInt(f[5]!, 16),
      proto: null,
      scope: null,
      src: null,
      onlink: false,
      nexthops: [],
    });
  }
  return out;
}

export const routes = defineFact<Route[]>({
  name: "net.routes",
  command: routesCommand,
  parse(output) {
    requireSmall(output, "net.routes", 8 * 1024 * 1024);
    return parseRoutes(output.stdout);
  },
});
