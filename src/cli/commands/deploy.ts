// `pine deploy INVENTORY TARGET`: run a deploy (pine's own by name, or the user's .ts file) on every host.
import type { Argv } from "yargs";
import { PineError, UsageError } from "../../errors.js";
import { withHostOptions, type CommonArgs } from "../options.js";

export const deployCommand = {
  command: "deploy <inventory> <target>",
  describe: "bring hosts to the state a deploy describes",
  builder: (yargs: Argv) =>
    withHostOptions(yargs)
      .positional("target", { type: "string", describe: "a deploy name (demo, install, upgrade) or a path to your .ts/.js deploy file" })
      .option("dry", { type: "boolean", default: false, describe: "show what would change; change nothing" })
      .option("yes", { alias: "y", type: "boolean", default: false, describe: "confirm destructive deploys without asking" })
      .option("serial", { type: "string", describe: "rolling batches, e.g. 1,25%,100% (canary first)" })
      .option("max-fail", { type: "string", describe: "stop starting batches after this many (or N%) hosts failed" })
      .option("to", { type: "string", describe: "upgrade: the release to roll out, a tag (v2) or an OSTree commit; default: the latest" })
      .option("max-down", { type: "number", describe: "upgrade: at most this many hosts between reboot and healthy at once (default 1)" })
      .option("lock", { type: "string", describe: "upgrade: where the reboot lock lives: embedded (default) or etcd://HOST:PORT[,HOST:PORT][?ttl=SECONDS]" })
      .example("$0 deploy lab.yaml ./site.ts --dry", "show what site.ts would change")
      .example("$0 deploy lab.yaml ./site.ts --serial 1,50% --max-fail 0", "canary first; stop on the first failure")
      .example("$0 deploy pets.yaml upgrade --to v2 --serial 1,25%,100% --max-down 2", "roll v2 out, at most 2 hosts down at once"),
  handler: async (argv: CommonArgs & DeployFlags & { target: string; dry: boolean; yes: boolean; serial?: string; "max-fail"?: string }) => {
    // Loaded here, not at the top: `pine --version` and `--help` stay fast.
    const { loadHosts, runSession } = await import("../session.js");
    const { loadDeploy, locateInFile } = await import("../../deploys/load.js");
    const { parseBatchPlan, parseFailureBudget } = await import("../../runner/batches.js");
    const hosts = loadHosts(argv);
    const { deploy, path } = await loadDeploy(argv.target);
    const batches = argv.serial ? parseBatchPlan(argv.serial) : undefined;
    const maxFail = parseFailureBudget(argv["max-fail"], hosts.length);
    let prepared: unknown;
    if (deploy.prepare) {
      try {
        prepared = await deploy.prepare({
          hosts: hosts.map((h) => ({ name: h.name, data: h.data })),
          dry: argv.dry,
          yes: argv.yes,
          log: (message) => process.stderr.write(`${message}\n`),
          options: deployOptions(argv),
          maxFail,
        });
      } catch (error) {
        if (error instanceof PineError) throw error;
        throw new UsageError(`deploy ${deploy.name} could not prepare: ${(error as Error).message}`, { hint: locateInFile(error, path) });
      }
    }
    let summary: Awaited<ReturnType<typeof runSession<void>>> | undefined;
    try {
      summary = await runSession(
        argv,
        hosts,
        async (host) => {
          try {
            await deploy.run(host, prepared);
          } catch (error) {
            if (error instanceof PineError) throw error;
            const where = locateInFile(error, path);
            throw new PineError(`deploy ${deploy.name} threw: ${(error as Error).message}`, { host: host.name, step: "deploy", hint: where, cause: error });
          }
        },
        { command: `deploy ${argv.target}`, jsonEvents: argv.json, progress: true, summary: true, batches, maxFail },
      );
    } finally {
      // Also after a broken run: what prepare() took (a lock's leases in etcd) must be given back.
      if (deploy.finish) await deploy.finish(prepared, summary);
    }
    return summary.ok ? 0 : 1;
  },
};

/** Flags only some deploys read; they reach the deploy as controller.options. */
interface DeployFlags {
  to?: string;
  "max-down"?: number;
  lock?: string;
}

function deployOptions(argv: DeployFlags): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (argv.to !== undefined) options.to = argv.to;
  if (argv["max-down"] !== undefined) options.maxDown = argv["max-down"];
  if (argv.lock !== undefined) options.lock = argv.lock;
  return options;
}
