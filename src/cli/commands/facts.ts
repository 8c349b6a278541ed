// `pine facts INVENTORY FACT...`: gather facts from every host in one round trip each; a table, or one JSON document.
import type { Argv } from "yargs";
import { UsageError } from "../../errors.js";
import type { Fact, FactFamily } from "../../facts/define.js";
import { withHostOptions, type CommonArgs } from "../options.js";

type Registry = ReadonlyMap<string, Fact<unknown> | FactFamily<never, unknown>>;

export const factsCommand = {
  command: "facts <inventory> <facts..>",
  describe: "gather facts from hosts (one round trip per host)",
  builder: (yargs: Argv) =>
    withHostOptions(yargs)
      .positional("facts", { type: "string", array: true, describe: "fact names; arguments after a colon: files.file:/etc/hosts" })
      .example("$0 facts lab.yaml server.hostname server.distro", "a table of two facts on every host")
      .example("$0 facts lab.yaml net.addresses files.file:/etc/hosts --json", "one JSON document: {hosts, errors}"),
  handler: async (argv: CommonArgs & { facts: string[] }) => {
    // Loaded here, not at the top: `pine --version` and `--help` stay fast.
    const { loadHosts, runSession } = await import("../session.js");
    const { textTable } = await import("../../reporter/summary-table.js");
    const { factRegistry } = await import("../../../facts/index.js");
    const facts = argv.facts.map((spec) => resolveFact(spec, factRegistry as Registry));
    const hosts = loadHosts(argv);
    const summary = await runSession(
      argv,
      hosts,
      async (host) => {
        const results = await host.gather(facts);
        return Object.fromEntries(facts.map((fact, i) => [fact.key, results[i]!]));
      },
      { command: "facts", jsonEvents: false, progress: !argv.json && argv.verbose > 0, summary: false },
    );
    const document = { hosts: {} as Record<string, Record<string, unknown>>, errors: {} as Record<string, string> };
    for (const outcome of summary.outcomes) {
      if (!outcome.ok || !outcome.value) {
        document.errors[outcome.host] = outcome.error ?? "failed";
        continue;
      }
      const values: Record<string, unknown> = {};
      for (const [key, result] of Object.entries(outcome.value)) {
        values[key] = result.ok ? result.value : { unavailable: result.reason };
      }
      document.hosts[outcome.host] = values;
    }
    if (argv.json) {
      process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    } else {
      const color = !process.env.NO_COLOR && process.stdout.isTTY === true;
      const rows = Object.entries(document.hosts).flatMap(([host, values]) =>
        Object.entries(values).map(([key, value]) => [host, key, render(value)]),
      );
      process.stdout.write(textTable(["host", "fact", "value"], rows, color));
    }
    return summary.ok ? 0 : 1;
  },
};

/** "server.hostname", "files.file:/etc/hosts" or "files.find_in_file(/etc/hosts,localhost)". */
export function resolveFact(spec: string, registry: Registry): Fact<unknown> {
  const m = /^([a-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+)(?::(.*)|\((.*)\))?$/s.exec(spec);
  const name = m?.[1];
  const entry = name ? registry.get(name) : undefined;
  if (!m || !entry) {
    const close = [...registry.keys()].filter((k) => name && (k.startsWith(name.split(".")[0]!) || k.includes(name))).slice(0, 8);
    throw new UsageError(`unknown fact "${spec}"`, { hint: close.length ? `did you mean: ${close.join(", ")}?` : `known facts: ${[...registry.keys()].join(", ")}` });
  }
  const rawArgs = m[2] ?? m[3];
  if (typeof entry === "function") {
    if (rawArgs === undefined) throw new UsageError(`fact ${name} needs arguments: write it as ${name}:ARG (or ${name}(ARG1,ARG2))`);
    const args = m[2] !== undefined ? [m[2]] : rawArgs.split(",");
    return (entry as unknown as (...a: string[]) => Fact<unknown>)(...args);
  }
  if (rawArgs !== undefined) throw new UsageError(`fact ${name} takes no arguments`);
  return entry;
}

function render(value: unknown): string {
  if (typeof value === "string") return value;
  const text = JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
