// server.sysctl: a kernel parameter has a value now (written to /proc/sys) and after a reboot (a line in /etc/sysctl.d).
import { UsageError } from "../../src/errors.js";
import { defineOperation, type Plan } from "../../src/operations/define.js";
import { quote } from "../../src/shell.js";
import { sysctl as sysctlFact, sysctlPath } from "../../facts/server/sysctl.js";
import { editLine } from "../files/line.js";
import { editFacts, planEdit } from "../files/edit.js";
import { requireAbsolute } from "../files/path.js";

export interface SysctlArgs {
  key: string;
  /** Several fields (net.ipv4.ip_local_port_range) as a list or a space-separated string. */
  value: string | number | Array<string | number>;
  /** Also write `key = value` to `path` so it survives a reboot (default true). */
  persist?: boolean;
  /** Default /etc/sysctl.d/99-pine.conf. */
  path?: string;
}

function check(a: SysctlArgs): { key: string; value: string; path: string } {
  if (typeof a.key !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/.test(a.key) || a.key.includes("..")) {
    throw new UsageError(`server.sysctl: key must look like net.ipv4.ip_forward, got ${JSON.stringify(a.key)}`);
  }
  const fields = (Array.isArray(a.value) ? a.value : [a.value]).map(String).join(" ").trim().split(/\s+/);
  if (fields.length === 0 || fields.some((f) => f === "" || /[\n\0]/.test(f))) throw new UsageError(`server.sysctl ${a.key}: value must be non-empty text without newlines`);
  return { key: a.key, value: fields.join(" "), path: requireAbsolute(a.path ?? "/etc/sysctl.d/99-pine.conf", `server.sysctl ${a.key}`) };
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

export const sysctl = defineOperation<SysctlArgs>({
  name: "server.sysctl",
  describe: (a) => `sysctl ${a.key} = ${Array.isArray(a.value) ? a.value.join(" ") : a.value}`,
  facts: (a) => {
    const { key, path } = check(a);
    return [sysctlFact(key), ...(a.persist === false ? [] : editFacts(path))];
  },
  async plan(host, a) {
    const { key, value, path } = check(a);
    const current = await host.fact(sysctlFact(key));
    if (current === null) throw new Error(`server.sysctl: ${host.name} has no ${sysctlPath(key)} (unknown key, or its kernel module is not loaded)`);
    const plan: Plan = { description: "", steps: [], invalidates: [sysctlFact(key).key, "files.*"] };
    const changes: string[] = [];
    if (current !== value) {
      plan.steps.push({ command: `printf '%s\\n' ${quote(value)} > ${quote(sysctlPath(key))}` });
      changes.push(`${current} → ${value} now`);
    }
    if (a.persist !== false) {
      const wanted = `${key} = ${value}`;
      const edit = await planEdit(host, path, "server.sysctl", (text) => {
        const next = editLine(text, { path, line: wanted, match: `^\\s*${escapeRegex(key)}\\s*=` }, "server.sysctl");
        return next === null ? null : { text: next, description: "" };
      });
      if (edit) {
        plan.steps.push(...edit.steps);
        plan.diff = edit.diff;
        changes.push(`persisted in ${path}`);
      }
    }
    if (plan.steps.length === 0) return null;
    plan.description = `sysctl ${key} = ${value}: ${changes.join(", ")}`;
    return plan;
  },
});
