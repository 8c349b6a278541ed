// pine's CLI entry: parse arguments, run one command, map the outcome to an exit code (0 ok, 1 a host failed, 2 usage/input).
import yargs from "yargs";
import { PineError, UsageError, errorMessage } from "../errors.js";
import { deployCommand } from "./commands/deploy.js";
import { execCommand } from "./commands/exec.js";
import { factsCommand } from "./commands/facts.js";
import { inventoryCommand } from "./commands/inventory.js";
import { labCommand } from "./commands/lab.js";
import { version } from "./version.js";

export async function main(args: string[]): Promise<number> {
  let exitCode = 0;
  const commands = [factsCommand, execCommand, deployCommand, inventoryCommand, labCommand];
  const parser = yargs(args)
    .scriptName("pine")
    .usage("pine: agentless orchestration over SSH; installs and upgrades pine OS\n\nUsage: $0 <command> [options]")
    .parserConfiguration({ "populate--": true, "camel-case-expansion": true })
    .option("verbose", { alias: "v", type: "count", describe: "more output (-v, -vv)" })
    .version(version())
    .strict()
    .demandCommand(1, "give a command: facts, exec, deploy, inventory or lab")
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue("Exit codes: 0 everything ok, 1 a host failed, 2 bad usage or input.\nDocs: README.md")
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  // yargs renders the running command's whole help text up front, in case an async handler fails later and help is to
  // be shown: ~20 ms of every start-up. pine never shows help on a failure (`fail` above throws; reportFailure prints
  // the message), and `--help` renders it afresh.
  (parser as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } })
    .getInternalMethods()
    .getUsageInstance().cacheHelpMessage = () => {};
  for (const command of commands) {
    parser.command({
      command: command.command,
      describe: command.describe,
      builder: command.builder as never,
      handler: async (argv: unknown) => {
        exitCode = await (command.handler as (a: unknown) => Promise<number>)(argv);
      },
    });
  }
  try {
    await parser.parseAsync();
    return exitCode;
  } catch (error) {
    return reportFailure(error);
  }
}

function reportFailure(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`pine: ${error.describe()}\n`);
    return 2;
  }
  if (error instanceof PineError) {
    process.stderr.write(`pine: ${error.describe()}\n`);
    return 1;
  }
  if (error instanceof Error && error.name === "YError") {
    process.stderr.write(`pine: ${error.message}\nRun pine --help for usage.\n`);
    return 2;
  }
  // An unexpected bug: keep the stack, it is what a bug report needs.
  process.stderr.write(`pine: internal error: ${errorMessage(error)}\n${error instanceof Error ? error.stack ?? "" : ""}\n`);
  return 1;
}
