// server.hostname: the host's name, both for now (`hostname`) and for the next boot (/etc/hostname).
import { UsageError } from "../../src/errors.js";
import { defineOperation, type Plan } from "../../src/operations/define.js";
import { command } from "../../src/shell.js";
import { hostname as hostnameFact } from "../../facts/server/hostname.js";
import { requireAbsolute } from "../files/path.js";
import { planWrite, writeFacts } from "../files/write.js";

export interface HostnameArgs {
  hostname: string;
  /** The file read at boot; default /etc/hostname. */
  path?: string;
}

const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const VALID = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

function check(a: HostnameArgs): { name: string; path: string } {
  if (typeof a.hostname !== "string" || a.hostname.length > 253 || !VALID.test(a.hostname)) {
    throw new UsageError(`server.hostname: hostname must be letters, digits and '-' in dot-separated labels of at most 63, got ${JSON.stringify(a.hostname)}`);
  }
  return { name: a.hostname, path: requireAbsolute(a.path ?? "/etc/hostname", "server.hostname") };
}

export const hostname = defineOperation<HostnameArgs>({
  name: "server.hostname",
  describe: (a) => `hostname ${a.hostname}`,
  facts: (a) => [hostnameFact, ...writeFacts(check(a).path)],
  async plan(host, a) {
    const { name, path } = check(a);
    const current = await host.fact(hostnameFact);
    const file = await planWrite(host, path, Buffer.from(`${name}\n`), {}, "server.hostname");
    const plan: Plan = { description: "", steps: [...(file?.steps ?? [])], diff: file?.diff, invalidates: ["server.hostname", "files.*"] };
    const changes = file ? [`${path}`] : [];
    if (current !== name) {
      plan.steps.push({ command: command("hostname", name) });
      changes.unshift(`running name ${current} → ${name}`);
    }
    if (plan.steps.length === 0) return null;
    plan.description = `hostname ${name}: ${changes.join(", ")}`;
    return plan;
  },
});
