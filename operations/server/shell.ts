// server.shell: run commands. Always a change, unless a guard says the work is already done
// (`creates`: a path that exists afterwards; `unless`: a command that exits 0 when nothing is needed).
import { defineOperation } from "../../src/operations/define.js";
import { file } from "../../facts/files/file.js";

export interface ShellArgs {
  /** One command line or several, each run by the host's /bin/sh in order; the first failure stops. */
  commands: string | string[];
  /** Skip when this absolute path exists. */
  creates?: string;
  /** Skip when this command exits 0. */
  unless?: string;
  /** Human description; default: the commands. */
  name?: string;
  timeoutMs?: number;
  /** Facts these commands change, so later reads ask the host again (e.g. "server.*", "files.*"). Default all. */
  invalidates?: string[];
}

const list = (c: string | string[]) => (Array.isArray(c) ? c : [c]);

export const shell = defineOperation<ShellArgs>({
  name: "server.shell",
  describe: (a) => a.name ?? list(a.commands).join("; "),
  facts: (a) => (a.creates ? [file(a.creates)] : []),
  async plan(host, a) {
    const commands = list(a.commands);
    if (commands.length === 0 || commands.some((c) => typeof c !== "string" || c.trim() === "")) throw new Error("server.shell: commands must be non-empty strings");
    if (a.creates && (await host.fact(file(a.creates)))) return null;
    if (a.unless) {
      const check = await host.exec(a.unless, { timeoutMs: a.timeoutMs });
      if (check.exitCode === 0) return null;
    }
    return {
      description: a.name ?? commands.join("; "),
      steps: commands.map((command) => ({ command, timeoutMs: a.timeoutMs })),
      invalidates: a.invalidates ?? ["*"],
    };
  },
});
