// pine's fact library: the namespaces deploy authors use (server.hostname, files.file("/etc/hosts")) and the registry the CLI looks names up in.
import type { Fact, FactFamily } from "../src/facts/define.js";
import * as server from "./server/index.js";
import * as net from "./net/index.js";
import * as block from "./block/index.js";
import * as files from "./files/index.js";

export { server, net, block, files };
export { FactUnavailable } from "../src/facts/define.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFact = Fact<unknown> | FactFamily<any, unknown>;

const all: AnyFact[] = [
  server.hostname,
  server.kernel,
  server.distro,
  net.addresses,
  block.devices,
  files.file,
];

/** Every fact by public name ("server.hostname", "files.file"); families are called with their arguments. */
export const factRegistry: ReadonlyMap<string, AnyFact> = new Map(all.map((f) => [factName(f), f]));

export function factName(f: AnyFact): string {
  return typeof f === "function" ? f.factName : f.name;
}

/** Is this registry entry a family (a fact taking arguments)? */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function isFactFamily(f: AnyFact): f is FactFamily<any, unknown> {
  return typeof f === "function";
}
