// Options shared by every command that works on hosts, validated at the edge with messages that name the option.
import type { Argv } from "yargs";
import type { HostKeyCheck } from "../inventory/index.js";

export interface CommonArgs {
  inventory: string;
  limit?: string[];
  parallel: number;
  maxHandshakes: number;
  json: boolean;
  verbose: number;
  dry?: boolean;
  user?: string;
  port?: number;
  key?: string;
  knownHosts?: string;
  hostKeyCheck?: HostKeyCheck;
  sudo?: boolean;
  data?: string[];
}

export function withHostOptions<T>(yargs: Argv<T>) {
  return yargs
    .positional("inventory", { type: "string", demandOption: true, describe: "inventory file, or a comma-separated host list (web1,root@10.0.0.5:2222)" })
    .option("limit", { alias: "l", type: "string", array: true, describe: "only these hosts: names, groups, globs (web*), @file; repeatable" })
    .option("parallel", { alias: "p", type: "number", default: 50, describe: "hosts worked on at once" })
    .option("max-handshakes", { type: "number", default: 20, describe: "SSH handshakes in flight at once" })
    .option("json", { type: "boolean", default: false, describe: "machine-readable output on stdout" })
    .option("user", { alias: "u", type: "string", describe: "SSH login user (overrides the inventory)" })
    .option("port", { type: "number", describe: "SSH port (overrides the inventory)" })
    .option("key", { alias: "i", type: "string", describe: "private key file" })
    .option("known-hosts", { type: "string", describe: "known_hosts file" })
    .option("host-key-check", { type: "string", choices: ["strict", "accept-new", "off"] as const, describe: "how unknown host keys are treated" })
    .option("sudo", { type: "boolean", describe: "run commands through sudo (one password prompt for all hosts)" })
    .option("data", { alias: "d", type: "string", array: true, describe: "override host data: key=value (dotted keys nest); repeatable" })
    .check((argv) => {
      const parallel = argv.parallel as number;
      if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`--parallel must be a positive integer, got ${String(argv.parallel)}`);
      const handshakes = argv["max-handshakes"] as number;
      if (!Number.isInteger(handshakes) || handshakes < 1) throw new Error(`--max-handshakes must be a positive integer, got ${String(handshakes)}`);
      const port = argv.port as number | undefined;
      if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new Error(`--port must be 1-65535, got ${String(port)}`);
      return true;
    });
}
