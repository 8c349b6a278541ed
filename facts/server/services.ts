// server.services: the services the host's init system knows and whether each is running (to quiesce a host before the install).
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, section, sections } from "../output.js";

export interface Service {
  name: string;
  running: boolean;
}

export interface Services {
  /** Which listing answered: systemctl, upstart's initctl, sysvinit's `service --status-all`, openrc's started dir. */
  via: "systemd" | "upstart" | "sysvinit" | "openrc";
  services: Service[];
}

export const servicesCommand = [
  `if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then`,
  `  echo @@systemd; systemctl list-units --type=service --all --no-legend --no-pager 2>/dev/null`,
  `elif command -v initctl >/dev/null 2>&1 && initctl --version 2>/dev/null | grep -q upstart; then`,
  `  echo @@upstart; initctl list 2>/dev/null`,
  `elif [ -d /run/openrc ] && command -v rc-status >/dev/null 2>&1; then`,
  `  echo @@openrc; for s in /run/openrc/started/*; do [ -e "$s" ] && echo "started \${s##*/}"; done`,
  `  for s in /etc/init.d/*; do [ -x "$s" ] && echo "known \${s##*/}"; done`,
  `elif command -v service >/dev/null 2>&1 && [ -d /etc/init.d ]; then`,
  `  echo @@sysvinit; service --status-all 2>&1`,
  `else echo '@@unavailable no systemd, upstart, openrc or sysvinit service manager found'; fi`,
].join("\n");

export const services = defineFact<Services>({
  name: "server.services",
  command: servicesCommand,
  parse(output) {
    requireSmall(output, "server.services", 4 * 1024 * 1024);
    const all = sections(output.stdout);
    const u = section(all, "unavailable");
    if (u) throw new FactUnavailable(u.arg);
    const systemd = section(all, "systemd");
    if (systemd) return { via: "systemd", services: parseSystemd(systemd.lines) };
    const upstart = section(all, "upstart");
    if (upstart) return { via: "upstart", services: parseUpstart(upstart.lines) };
    const openrc = section(all, "openrc");
    if (openrc) return { via: "openrc", services: parseOpenrc(openrc.lines) };
    const sysv = section(all, "sysvinit");
    if (sysv) return { via: "sysvinit", services: parseSysv(sysv.lines) };
    throw new FactUnavailable("no service listing in the output");
  },
});

/** `ssh.service loaded active running OpenBSD Secure Shell server`, maybe led by "●" for failed/not-found units. */
export function parseSystemd(lines: readonly string[]): Service[] {
  const out: Service[] = [];
  for (const line of lines) {
    const w = line.replace(/^[^\w@.-]+/u, "").trim().split(/\s+/);
    if (w.length < 4 || !w[0]!.endsWith(".service")) continue;
    out.push({ name: w[0]!.slice(0, -".service".length), running: w[2] === "active" && w[3] === "running" });
  }
  return out;
}

/** `ssh start/running, process 812`, `tty1 stop/waiting`, `network-interface (eth0) start/running`. */
export function parseUpstart(lines: readonly string[]): Service[] {
  const out: Service[] = [];
  for (const line of lines) {
    const m = /^(\S+)(?: \(([^)]*)\))? (start|stop)\/(\S+?)(?:,|$)/.exec(line.trim());
    if (!m) continue;
    out.push({ name: m[2] ? `${m[1]} (${m[2]})` : m[1]!, running: m[3] === "start" && m[4] === "running" });
  }
  return out;
}

/** ` [ + ]  ssh`, ` [ - ]  rsync`, ` [ ? ]  udev` (? = the script has no status: not known to be running). */
export function parseSysv(lines: readonly string[]): Service[] {
  const out: Service[] = [];
  for (const line of lines) {
    const m = /^\s*\[\s*([+?-])\s*\]\s+(\S+)/.exec(line);
    if (m) out.push({ name: m[2]!, running: m[1] === "+" });
  }
  return out;
}

export function parseOpenrc(lines: readonly string[]): Service[] {
  const started = new Set(lines.filter((l) => l.startsWith("started ")).map((l) => l.slice(8)));
  const known = lines.filter((l) => l.startsWith("known ")).map((l) => l.slice(6));
  for (const s of started) if (!known.includes(s)) known.push(s);
  return known.map((name) => ({ name, running: started.has(name) }));
}
