// `pine inventory INVENTORY`: the resolved hosts with their connection settings and merged data.
import type { Argv } from "yargs";
import { withHostOptions, type CommonArgs } from "../options.js";

export const inventoryCommand = {
  command: "inventory <inventory>",
  describe: "show the resolved hosts, groups and data",
  builder: (yargs: Argv) =>
    withHostOptions(yargs)
      .example("$0 inventory inventory/example.yaml", "a table of hosts")
      .example("$0 inventory inventory/example.yaml --limit kvm --json", "the hosts of group kvm as JSON"),
  handler: async (argv: CommonArgs) => {
    // Loaded here, not at the top: `pine --version` and `--help` stay fast.
    const { loadHosts } = await import("../session.js");
    const { textTable } = await import("../../reporter/summary-table.js");
    const hosts = loadHosts(argv);
    if (argv.json) {
      // password is non-enumerable on resolved hosts, so it never reaches this output.
      process.stdout.write(`${JSON.stringify({ hosts }, null, 2)}\n`);
      return 0;
    }
    const color = !process.env.NO_COLOR && process.stdout.isTTY === true;
    const rows = hosts.map((h) => [
      h.name,
      h.connector === "local" ? "(local)" : `${h.user}@${h.address}:${h.port}`,
      h.groups.join(",") || "-",
      JSON.stringify(h.data),
    ]);
    process.stdout.write(textTable(["host", "ssh", "groups", "data"], rows, color));
    return 0;
  },
};
