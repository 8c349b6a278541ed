// server.sysctl(key): a kernel parameter's current value, whitespace between fields normalised to one space; null if the key does not exist.
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";

/** net.ipv4.ip_forward → /proc/sys/net/ipv4/ip_forward (a key may also be written with slashes). */
export function sysctlPath(key: string): string {
  return `/proc/sys/${key.includes("/") ? key.replace(/^\/+/, "") : key.replace(/\./g, "/")}`;
}

export const sysctl = defineFactFamily<[key: string], string | null>({
  name: "server.sysctl",
  command: (key) => {
    const p = quote(sysctlPath(key));
    return `if [ -e ${p} ]; then echo @@value; cat ${p}; else echo @@absent; fi`;
  },
  parse(output, key) {
    const text = output.stdout;
    if (/^@@absent$/m.test(text)) return null;
    const at = text.indexOf("@@value\n");
    if (at < 0 || output.exitCode !== 0) throw new FactUnavailable(`cannot read ${sysctlPath(key)}: ${output.stderr.trim() || "no output"}`);
    return text.slice(at + 8).trim().split(/\s+/).join(" ");
  },
});
