// server.init: which init system runs the host (decides how services are listed and stopped).
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { keyValues, requireSmall, splitLines } from "../output.js";

export type InitSystem = "systemd" | "upstart" | "sysvinit" | "openrc" | "busybox";

/** Signals, one per line: PID 1's name and binary, systemd's runtime dir, upstart's initctl, openrc, /sbin/init's target, inittab. */
export const initSignalsCommand = [
  `printf 'comm=%s\\n' "$(cat /proc/1/comm 2>/dev/null)"`,
  `printf 'exe=%s\\n' "$(readlink /proc/1/exe 2>/dev/null)"`,
  `[ -d /run/systemd/system ] && echo systemd_run=1`,
  `command -v initctl >/dev/null 2>&1 && printf 'initctl=%s\\n' "$(initctl --version 2>/dev/null | head -n 1)"`,
  `{ [ -x /sbin/openrc ] || [ -d /run/openrc ] || [ -d /lib/rc/init.d ]; } && echo openrc=1`,
  `printf 'sbin_init=%s\\n' "$(readlink -f /sbin/init 2>/dev/null)"`,
  `[ -f /etc/inittab ] && echo inittab=1`,
  `true`,
].join("\n");

export function detectInit(kv: Map<string, string>): InitSystem {
  const comm = kv.get("comm") ?? "";
  const exe = kv.get("exe") ?? "";
  const sbinInit = kv.get("sbin_init") ?? "";
  const pid1 = exe || sbinInit;
  if (kv.get("systemd_run") === "1" || comm === "systemd" || /systemd$/.test(exe)) return "systemd";
  if (/upstart/.test(kv.get("initctl") ?? "") && (comm === "init" || comm === "")) return "upstart";
  if (comm === "openrc-init" || (kv.get("openrc") === "1" && (comm === "init" || comm === ""))) return "openrc";
  if (comm === "init" || comm === "") {
    if (/busybox/.test(pid1)) return "busybox";
    if (kv.get("inittab") === "1") return "sysvinit";
  }
  throw new FactUnavailable(`cannot tell the init system (PID 1 is "${comm || "unreadable"}"${exe ? ` at ${exe}` : ""}; /sbin/init is ${sbinInit || "missing"})`);
}

export const init = defineFact<InitSystem>({
  name: "server.init",
  command: initSignalsCommand,
  parse(output) {
    requireSmall(output, "server.init", 16 * 1024);
    return detectInit(keyValues(splitLines(output.stdout)));
  },
});
