// services.service: a service is running or stopped, starts at boot or not, and is restarted when earlier
// operations changed something it depends on. The init system (systemd, upstart, sysvinit, openrc) comes from
// the server.init fact; the service's state from services.status, asked the way that init system answers.
import { UsageError } from "../../src/errors.js";
import { defineOperation, type OperationResult, type Step } from "../../src/operations/define.js";
import { command, quote } from "../../src/shell.js";
import { init as initFact } from "../../facts/server/init.js";
import { status as statusFact, unitName, type ServiceManager, type ServiceStatus } from "../../facts/services/status.js";

export interface ServiceArgs {
  name: string;
  /** true: running, false: stopped; omit to leave as it is. */
  running?: boolean;
  /** true: starts at boot, false: does not; omit to leave as it is. */
  enabled?: boolean;
  /** Restart (or start) when any of these earlier results changed something, e.g. the config file's files.put. */
  restartOn?: ReadonlyArray<Pick<OperationResult, "status">>;
  /** Reload instead of restart on change (the service must support it). */
  reload?: boolean;
}

type Action = "start" | "stop" | "restart" | "reload";

export function actionCommand(via: ServiceManager, name: string, action: Action): string {
  switch (via) {
    case "systemd":
      return command("systemctl", action, unitName(name));
    case "upstart":
      return action === "reload" ? command("initctl", "reload", name) : action === "restart" ? `${command("initctl", "restart", name)} || ${command("initctl", "start", name)}` : command("initctl", action, name);
    case "sysvinit":
      return command(`/etc/init.d/${name}`, action);
    case "openrc":
      return command("rc-service", name, action);
  }
}

export function enableCommand(via: ServiceManager, name: string, enabled: boolean): string {
  switch (via) {
    case "systemd":
      return command("systemctl", enabled ? "enable" : "disable", unitName(name));
    case "upstart": {
      // Upstart has no enable: a `manual` stanza in NAME.override stops it starting at boot.
      const override = `/etc/init/${name}.override`;
      return enabled
        ? `if [ -f ${quote(override)} ]; then sed -i '/^[[:space:]]*manual[[:space:]]*$/d' ${quote(override)}; fi`
        : `echo manual >> ${quote(override)}`;
    }
    case "sysvinit":
      return `if command -v update-rc.d >/dev/null 2>&1; then ${enabled ? `${command("update-rc.d", name, "defaults")} && ${command("update-rc.d", name, "enable")}` : command("update-rc.d", name, "disable")}; else ${command("chkconfig", name, enabled ? "on" : "off")}; fi`;
    case "openrc":
      return command("rc-update", enabled ? "add" : "del", name, "default");
  }
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@:-]*$/;

/** Pure: the commands taking a service from `now` to what `a` asks. */
export function planService(now: ServiceStatus, a: ServiceArgs): { steps: Step[]; changes: string[] } {
  const steps: Step[] = [];
  const changes: string[] = [];
  const changedBefore = (a.restartOn ?? []).some((r) => r.status === "changed");
  if (a.running === true && !now.running) {
    steps.push({ command: actionCommand(now.via, a.name, "start") });
    changes.push("start");
  } else if (a.running === false && now.running) {
    steps.push({ command: actionCommand(now.via, a.name, "stop") });
    changes.push("stop");
  } else if (changedBefore && now.running && a.running !== false) {
    steps.push({ command: actionCommand(now.via, a.name, a.reload ? "reload" : "restart") });
    changes.push(`${a.reload ? "reload" : "restart"} (an earlier operation changed)`);
  }
  if (a.enabled !== undefined && now.enabled !== null && now.enabled !== a.enabled) {
    steps.push({ command: enableCommand(now.via, a.name, a.enabled) });
    changes.push(a.enabled ? "enable at boot" : "disable at boot");
  }
  return { steps, changes };
}

export const service = defineOperation<ServiceArgs>({
  name: "services.service",
  describe: (a) =>
    `service ${a.name}${a.running === undefined ? "" : a.running ? " running" : " stopped"}${a.enabled === undefined ? "" : a.enabled ? ", enabled" : ", disabled"}`,
  validate(a) {
    if (typeof a.name !== "string" || !NAME.test(a.name)) throw new UsageError(`services.service: name must be a service name like "nginx" or "ssh.service", got ${JSON.stringify(a.name)}`);
    if (a.running === undefined && a.enabled === undefined && a.restartOn === undefined) throw new UsageError(`services.service ${a.name}: say running, enabled or restartOn`);
  },
  facts: () => [initFact],
  async plan(host, a) {
    const init = await host.fact(initFact);
    if (init === "busybox") throw new Error(`services.service ${a.name}: ${host.name} runs busybox init, which has no services to manage (use its inittab or openrc)`);
    const now = await host.fact(statusFact(a.name, init));
    if (!now.exists) throw new Error(`services.service: ${host.name} has no ${now.via} service ${JSON.stringify(a.name)}`);
    const { steps, changes } = planService(now, a);
    if (steps.length === 0) return null;
    return { description: `service ${a.name} (${now.via}): ${changes.join(", ")}`, steps, invalidates: ["services.status", "server.services"] };
  },
});
