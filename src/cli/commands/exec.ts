// `pine exec INVENTORY -- COMMAND`: run one shell command on every host; each host's output and exit code.
import type { Argv } from "yargs";
import { CommandError, UsageError } from "../../errors.js";
import { withHostOptions, type CommonArgs } from "../options.js";

export const execCommand = {
  command: "exec <inventory> [command..]",
  describe: "run a shell command on every host",
  builder: (yargs: Argv) =>
    withHostOptions(yargs)
      .positional("command", { type: "string", array: true, describe: "the command (after --), run by the host's /bin/sh" })
      .option("timeout", { type: "number", describe: "seconds before the command is stopped on a host" })
      .example("$0 exec lab.yaml -- uptime", "uptime on every host")
      .example("$0 exec lab.yaml --limit web* --json -- 'df -h /'", "JSON lines with each host's output"),
  handler: async (argv: CommonArgs & { command?: string[]; timeout?: number; "--"?: string[] }) => {
    // Loaded here, not at the top: `pine --version` and `--help` stay fast.
    const { loadHosts, runSession } = await import("../session.js");
    const words = [...(argv.command ?? []), ...(argv["--"] ?? [])];
    if (words.length === 0) throw new UsageError("no command given: write it after --, e.g. pine exec lab.yaml -- uptime");
    const line = words.join(" ");
    const hosts = loadHosts(argv);
    const summary = await runSession(
      argv,
      hosts,
      async (host) => {
        const started = Date.now();
        const result = await host.exec(line, argv.timeout ? { timeoutMs: argv.timeout * 1000 } : undefined);
        host.emit({ type: "exec:result", host: host.name, command: line, exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started });
        if (!argv.json) {
          process.stdout.write(`=== ${host.name} (exit ${result.exitCode ?? "none"}) ===\n${result.stdout}${result.stdout && !result.stdout.endsWith("\n") ? "\n" : ""}`);
          if (result.stderr) process.stderr.write(result.stderr.replace(/^/gm, `[${host.name}] `).replace(/\[[^\]]*\] $/, ""));
        }
        if (result.exitCode !== 0) {
          // Its stderr was printed above (or is in the JSON event): the error only names the exit code.
          throw new CommandError("the command exited non-zero", { host: host.name, step: "exec", command: line, exitCode: result.exitCode, ...(argv.json ? { stderr: result.stderr } : {}) });
        }
        return result.exitCode;
      },
      { command: "exec", jsonEvents: argv.json, progress: argv.verbose > 0, summary: false },
    );
    if (!argv.json && !summary.ok) {
      process.stderr.write(`${summary.failed.length} of ${hosts.length} host(s) failed: ${summary.failed.join(", ")}\n`);
    }
    return summary.ok ? 0 : 1;
  },
};
