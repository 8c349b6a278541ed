// services.status(name, init): whether a service exists, runs and starts at boot, asked the way the host's init system answers.
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";
import { keyValues, splitLines } from "../output.js";

export type ServiceManager = "systemd" | "upstart" | "sysvinit" | "openrc";

export interface ServiceStatus {
  /** Which manager answered: on an upstart host a job without /etc/init/NAME.conf is a sysvinit script. */
  via: ServiceManager;
  exists: boolean;
  running: boolean;
  /** Starts at boot; null when that cannot be switched (a static systemd unit). */
  enabled: boolean | null;
}

/** A systemd unit name: "ssh" means ssh.service; names with a type suffix are used as they are. */
export function unitName(name: string): string {
  return /\.(service|socket|timer|mount|target|path)$/.test(name) ? name : `${name}.service`;
}

function sysvLines(script: string, name: string): string[] {
  return [
    `pine_n=${quote(name)}`,
    `if [ -x ${script} ]; then echo exists=1; if ${script} status >/dev/null 2>&1; then echo running=1; else echo running=0; fi`,
    // rcS.d too: Debian 8 starts e.g. networking and hwclock.sh from there, once at boot, before the runlevel.
    `  pine_en=0; for pine_f in /etc/rc[2345S].d/S??"$pine_n"; do [ -e "$pine_f" ] && pine_en=1; done; echo enabled=$pine_en`,
    `else echo exists=0; fi`,
  ];
}

export function statusCommand(name: string, init: ServiceManager): string {
  const n = quote(name);
  const initd = quote(`/etc/init.d/${name}`);
  switch (init) {
    case "systemd":
      return [`echo via=systemd`, `systemctl show -p LoadState -p ActiveState -p UnitFileState -- ${quote(unitName(name))} 2>&1`].join("\n");
    case "upstart":
      return [
        `if [ -f ${quote(`/etc/init/${name}.conf`)} ]; then echo via=upstart; echo exists=1`,
        `  case $(initctl status ${n} 2>/dev/null) in *start/*) echo running=1;; *) echo running=0;; esac`,
        `  if grep -qs '^[[:space:]]*manual' ${quote(`/etc/init/${name}.override`)}; then echo enabled=0; else echo enabled=1; fi`,
        `else echo via=sysvinit`,
        ...sysvLines(initd, name).map((l) => `  ${l}`),
        `fi`,
      ].join("\n");
    case "sysvinit":
      return [`echo via=sysvinit`, ...sysvLines(initd, name)].join("\n");
    case "openrc":
      return [
        `echo via=openrc`,
        `if [ -x ${initd} ]; then echo exists=1; if rc-service ${n} status >/dev/null 2>&1; then echo running=1; else echo running=0; fi`,
        `  if [ -e ${quote(`/etc/runlevels/default/${name}`)} ] || [ -e ${quote(`/etc/runlevels/boot/${name}`)} ]; then echo enabled=1; else echo enabled=0; fi`,
        `else echo exists=0; fi`,
      ].join("\n");
  }
}

export function parseStatus(stdout: string, init: ServiceManager): ServiceStatus {
  const kv = keyValues(splitLines(stdout));
  const via = kv.get("via") as ServiceManager | undefined;
  if (!via) throw new FactUnavailable(`the ${init} status check printed nothing usable`);
  if (via === "systemd") {
    const load = kv.get("LoadState");
    const active = kv.get("ActiveState");
    if (!load || !active) throw new FactUnavailable(`systemctl show printed no LoadState/ActiveState: ${stdout.trim().slice(0, 200)}`);
    // Like the other managers: a service that does not exist does not start at boot (not "cannot be switched").
    if (load === "not-found") return { via, exists: false, running: false, enabled: false };
    const file = kv.get("UnitFileState") ?? "";
    const enabled = /^(enabled|enabled-runtime)$/.test(file) ? true : /^(disabled|masked|masked-runtime)$/.test(file) ? false : null;
    return { via, exists: load !== "not-found", running: active === "active" || active === "reloading", enabled };
  }
  const exists = kv.get("exists");
  if (exists === "0") return { via, exists: false, running: false, enabled: false };
  // Output cut short (the script killed) must not read as "stopped and disabled".
  if (exists !== "1" || !kv.has("running") || !kv.has("enabled")) throw new FactUnavailable(`the ${via} status check stopped early: ${stdout.trim().slice(0, 200)}`);
  return { via, exists: true, running: kv.get("running") === "1", enabled: kv.get("enabled") === "1" };
}

export const status = defineFactFamily<[name: string, init: ServiceManager], ServiceStatus>({
  name: "services.status",
  command: statusCommand,
  parse: (output, _name, init) => parseStatus(output.stdout, init),
});
