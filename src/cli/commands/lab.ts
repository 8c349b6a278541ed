// `pine lab up|down|status`: throwaway SSH test hosts on this machine (network namespaces, each with its own sshd).
import { resolve } from "node:path";
import type { Argv } from "yargs";

interface LabArgs {
  action: "up" | "down" | "status";
  hosts: number;
  name: string;
  dir?: string;
  kind: "plain" | "debian" | "busybox";
  json: boolean;
}

export const labCommand = {
  command: "lab <action>",
  describe: "throwaway SSH test hosts on this machine (needs root)",
  builder: (yargs: Argv) =>
    yargs
      .positional("action", { choices: ["up", "down", "status"] as const, demandOption: true })
      .option("hosts", { alias: "n", type: "number", default: 3, describe: "how many hosts the lab should have (up)" })
      .option("name", { type: "string", default: "pine", describe: "lab name (1-6 of a-z0-9); several labs can coexist" })
      .option("kind", {
        choices: ["plain", "debian", "busybox"] as const,
        default: "plain" as const,
        describe: "plain: a namespace + sshd on this machine's files; debian: its own Debian root under systemd-nspawn (built once with mmdebstrap, ~30 s); busybox: a busybox-only root",
      })
      .option("dir", { type: "string", describe: "state directory (keys, inventory.yaml, known_hosts); default .lab/NAME" })
      .option("json", { type: "boolean", default: false, describe: "print the lab state as JSON" })
      .example("$0 lab up --hosts 3", "three hosts; prints the inventory to use")
      .example("$0 lab up --hosts 2 --kind debian", "two Debian containers (systemd, own root filesystem)")
      .example("$0 facts .lab/pine/inventory.yaml server.hostname", "ask the lab hosts")
      .example("$0 lab down", "stop and remove everything the lab started"),
  handler: async (argv: LabArgs) => {
    const lab = await import("../../lab/index.js");
    const dir = resolve(argv.dir ?? `.lab/${argv.name}`);
    if (argv.action !== "status") lab.assertLabName(argv.name);
    if (argv.action === "up") {
      const started = Date.now();
      if (argv.kind === "debian" && !(await lab.isDebianRootfsCached())) {
        process.stderr.write("building the Debian root filesystem once with mmdebstrap (about 30 s; cached afterwards)...\n");
      }
      const state = await lab.labUp({ name: argv.name, hosts: argv.hosts, dir, kind: argv.kind });
      if (argv.json) {
        process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
      } else {
        process.stdout.write(
          `lab "${state.name}" is up: ${state.hosts.length} ${argv.kind} host(s) on ${state.subnet} (bridge ${state.bridge}) in ${Date.now() - started} ms\n` +
            state.hosts.map((h) => `  ${h.name}  ${h.address}  ${h.hostKeyFingerprint}\n`).join("") +
            `inventory: ${state.inventory}\n` +
            `try:       pine facts ${state.inventory} server.hostname server.distro\n`,
        );
      }
      return 0;
    }
    if (argv.action === "down") {
      await lab.labDown({ name: argv.name, dir });
      process.stdout.write(`lab "${argv.name}" is down: its sshd processes, namespaces, veths and bridge are gone\n`);
      return 0;
    }
    const status = await lab.labStatus({ name: argv.name, dir });
    const { textTable } = await import("../../reporter/summary-table.js");
    if (argv.json) {
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    } else {
      const color = !process.env.NO_COLOR && process.stdout.isTTY === true;
      process.stdout.write(`lab "${status.name}" (${status.dir}): bridge ${status.bridge} ${status.bridgePresent ? "present" : "absent"}\n`);
      const yes = (b: boolean) => (b ? "yes" : "NO");
      process.stdout.write(
        textTable(
          ["host", "address", "namespace", "sshd", "port answers"],
          status.hosts.map((h) => [h.name, h.address ?? "-", yes(h.namespacePresent), yes(h.sshdAlive), yes(h.portAnswering)]),
          color,
        ),
      );
    }
    const healthy = status.hosts.length > 0 && status.hosts.every((h) => h.namespacePresent && h.sshdAlive && h.portAnswering);
    return healthy ? 0 : 1;
  },
};
