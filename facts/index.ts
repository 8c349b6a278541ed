// pine's fact library: the namespaces deploy authors use (server.hostname, files.file("/etc/hosts")) and the registry the CLI looks names up in.
import type { Fact, FactFamily } from "../src/facts/define.js";
import * as server from "./server/index.js";
import * as net from "./net/index.js";
import * as block from "./block/index.js";
import * as files from "./files/index.js";
import * as boot from "./boot/index.js";
import * as kernel from "./kernel/index.js";
import * as packages from "./packages/index.js";
import * as ostree from "./ostree/index.js";
import * as pine from "./pine/index.js";
import * as services from "./services/index.js";
import * as busybox from "./busybox/index.js";

export { server, net, block, files, boot, kernel, packages, ostree, pine, services, busybox };
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
  server.init,
  server.virt,
  server.memory,
  server.arch,
  server.users,
  server.which,
  server.uptime,
  server.shell,
  server.services,
  server.mounts,
  server.login,
  server.kernelIdentity,
  boot.firmware,
  block.rootDisk,
  block.loops,
  kernel.modules,
  net.routes,
  net.gateway,
  net.interfaces,
  net.dns,
  net.ifupdown,
  files.sha256,
  files.directory,
  files.link,
  files.find_in_file,
  packages.deb,
  packages.apk,
  packages.apt_cache_age,
  packages.dpkg_installed,
  packages.apk_installed,
  files.content,
  ostree.status,
  ostree.refs,
  pine.release,
  server.boot_id,
  server.groups,
  server.sysctl,
  services.status,
  busybox.missing_applets,
  block.partitions,
  block.filesystem,
  block.fs_signature,
  block.losetup,
  block.head_sha256,
  ostree.deployments,
  ostree.has_commit,
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
