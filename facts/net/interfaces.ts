// net.interfaces: network interfaces with MAC, state and kind (loopback, ether, bridge, veth, venet, vlan, ...), from /sys/class/net.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { keyValues, requireSmall, sections, throwIfUnavailable, toInt } from "../output.js";

export type InterfaceKind = "loopback" | "ether" | "bridge" | "bond" | "vlan" | "veth" | "venet" | "tun" | "wireless" | "virtual" | "other";

export interface NetInterface {
  name: string;
  mac: string | null;
  /** operstate: "up", "down", "unknown" (venet and loopback report unknown), "dormant", ... */
  state: string;
  kind: InterfaceKind;
  mtu: number | null;
}

export const interfacesCommand = [
  `if [ -d /sys/class/net ]; then`,
  `  for d in /sys/class/net/*; do [ -e "$d/type" ] || continue; printf '@@if %s\\n' "\${d##*/}"`,
  `    for k in address operstate type mtu ifindex iflink; do printf '%s=%s\\n' "$k" "$(cat "$d/$k" 2>/dev/null)"; done`,
  `    printf 'devtype=%s\\n' "$(sed -n 's/^DEVTYPE=//p' "$d/uevent" 2>/dev/null)"`,
  `    printf 'driver=%s\\n' "$(readlink "$d/device/driver" 2>/dev/null)"`,
  `    for k in bridge bonding wireless tun_flags device; do [ -e "$d/$k" ] && echo "has_$k=1"; done`,
  `  done`,
  `  if command -v ip >/dev/null 2>&1; then echo @@iplink; ip -d -o link show 2>/dev/null; fi`,
  // /proc/net/dev is always the reader's own network namespace; /sys/class/net is that of whoever mounted /sys.
  `  if [ -r /proc/net/dev ]; then echo @@netdev; cat /proc/net/dev; fi`,
  `elif [ -r /proc/net/dev ]; then echo @@procnetdev; cat /proc/net/dev`,
  `else echo '@@unavailable neither /sys/class/net nor /proc/net/dev'; fi`,
].join("\n");

const IP_KINDS: Record<string, InterfaceKind> = { veth: "veth", bridge: "bridge", vlan: "vlan", bond: "bond", tun: "tun", venet: "venet", dummy: "virtual", macvlan: "virtual", ipvlan: "virtual", vxlan: "virtual", wireguard: "virtual", ifb: "virtual" };

export const interfaces = defineFact<NetInterface[]>({
  name: "net.interfaces",
  command: interfacesCommand,
  parse(output) {
    requireSmall(output, "net.interfaces", 8 * 1024 * 1024);
    const all = sections(output.stdout);
    throwIfUnavailable(all);
    const ipLines = all.find((s) => s.name === "iplink")?.lines;
    const ipKinds = kindsFromIpLink(ipLines ?? []);
    const ifs = all.filter((s) => s.name === "if");
    const netdev = all.find((s) => s.name === "netdev");
    if (ifs.length > 0) {
      const own = netdev ? netdevNames(netdev.lines) : null;
      // A /sys mounted in another network namespace (seen in a systemd-nspawn container joined to a netns after /sys
      // was mounted) lists that namespace's interfaces: names, MACs and all belong to another machine. The kernel's
      // /proc/net/dev and ip's netlink answer for this one; trust sysfs only when it names the same interfaces.
      // (Interfaces that come or go between the reads also make the names differ; ip's answer is right then too.)
      const viaSysfs = ifs.map((s) => fromSysfs(s.arg, keyValues(s.lines), ipKinds.get(s.arg)));
      if (own && !sameNames(own, ifs.map((s) => s.arg))) {
        // Without ip nothing says which sysfs entries are this namespace's: names only, never another machine's MAC.
        return ipLines && ipLines.length > 0 ? fromIpLink(ipLines, viaSysfs) : own.map(nameOnly);
      }
      return viaSysfs;
    }
    const procnetdev = all.find((s) => s.name === "procnetdev");
    // No sysfs (old OpenVZ containers): names only.
    if (procnetdev) return netdevNames(procnetdev.lines).map(nameOnly);
    throw new FactUnavailable("no interface listing in the output");
  },
});

/** Interface names from /proc/net/dev (two header lines, then `  name: counters`). */
function netdevNames(lines: readonly string[]): string[] {
  return lines.filter((l) => l.includes(":")).map((l) => l.split(":")[0]!.trim()).filter((n) => n && !/\s/.test(n) && !/^(Inter|face)/.test(n) && !n.includes("|"));
}

function nameOnly(name: string): NetInterface {
  return { name, mac: null, state: "unknown", kind: guessByName(name) ?? "other", mtu: null };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return a.length === b.length && b.every((n) => set.has(n));
}

/**
 * `ip -d -o link` lines: `2: eth0@if9: <...> mtu 1500 qdisc ... state UP ... link/ether 02:.. brd ..`, the kind after
 * a `\`. A sysfs entry of the same name and MAC is the same device: its kind (a physical NIC has none in ip) is used.
 */
export function fromIpLink(lines: readonly string[], sysfs: readonly NetInterface[] = []): NetInterface[] {
  const kinds = kindsFromIpLink(lines);
  const out: NetInterface[] = [];
  for (const line of lines) {
    const m = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s/.exec(line);
    if (!m) continue;
    const name = m[1]!;
    const link = /\slink\/(\S+)(?:\s+([0-9a-f]{2}(?::[0-9a-f]{2}){5}))?/i.exec(line);
    const mac = link?.[2]?.toLowerCase() ?? null;
    const linkType = link?.[1];
    const ownMac = mac && mac !== "00:00:00:00:00:00" ? mac : null;
    const same = sysfs.find((d) => d.name === name && d.mac === ownMac);
    const kind: InterfaceKind = linkType === "loopback" ? "loopback" : (kinds.get(name) ?? same?.kind ?? guessByName(name) ?? "other");
    out.push({
      name,
      mac: ownMac,
      state: /\sstate\s+(\S+)/.exec(line)?.[1]?.toLowerCase() ?? "unknown",
      kind,
      mtu: toInt(/\smtu\s+(\d+)/.exec(line)?.[1]),
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function fromSysfs(name: string, kv: Map<string, string>, ipKind: InterfaceKind | undefined): NetInterface {
  const type = toInt(kv.get("type"));
  const mac = kv.get("address") ?? "";
  return {
    name,
    mac: /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac) && mac !== "00:00:00:00:00:00" ? mac.toLowerCase() : null,
    state: kv.get("operstate") || "unknown",
    kind: sysfsKind(name, kv, type, ipKind),
    mtu: toInt(kv.get("mtu")),
  };
}

function sysfsKind(name: string, kv: Map<string, string>, type: number | null, ipKind: InterfaceKind | undefined): InterfaceKind {
  if (type === 772) return "loopback";
  const byName = guessByName(name);
  if (byName === "venet") return "venet";
  if (kv.get("has_bridge") === "1" || kv.get("devtype") === "bridge") return "bridge";
  if (kv.get("has_bonding") === "1" || kv.get("devtype") === "bond") return "bond";
  if (kv.get("devtype") === "vlan") return "vlan";
  if (kv.get("has_wireless") === "1" || kv.get("devtype") === "wlan") return "wireless";
  if (kv.get("has_tun_flags") === "1") return "tun";
  if (ipKind) return ipKind;
  if (kv.get("has_device") === "1" && type === 1) return "ether";
  if (type === 1 && /^veth/.test(name)) return "veth";
  if (type === 1) return "virtual";
  return byName ?? "other";
}

function guessByName(name: string): InterfaceKind | null {
  if (name === "lo") return "loopback";
  if (/^venet\d/.test(name)) return "venet";
  if (/^veth/.test(name)) return "veth";
  return null;
}

/** `ip -d -o link` prints the link kind ("veth", "bridge", "vlan protocol 802.1Q id 5") after the link/ether line's attributes. */
function kindsFromIpLink(lines: readonly string[]): Map<string, InterfaceKind> {
  const map = new Map<string, InterfaceKind>();
  for (const line of lines) {
    const m = /^\d+:\s+([^:@\s]+)(?:@\S+)?:/.exec(line);
    if (!m) continue;
    for (const part of line.split("\\").slice(1)) {
      const first = part.trim().split(/\s+/)[0] ?? "";
      const kind = IP_KINDS[first];
      if (kind) { map.set(m[1]!, kind); break; }
    }
  }
  return map;
}
