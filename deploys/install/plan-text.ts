// The human plan of one host's install, printed with -v and in --dry runs: what will be written where.
import { formatBytes } from "../../src/byte-progress.js";
import type { InstallConfig } from "./config.js";
import { gib } from "./partitions.js";
import type { Preflight } from "./preflight.js";
import type { Artifact } from "./source.js";

export function describePlan(host: string, pf: Preflight, config: InstallConfig, artifact: Artifact, hostKey: string): string {
  const lines = [`install plan for ${host}: ${pf.distro}, ${pf.init}, ${pf.virt} → pine OS (${pf.mode} path)`];
  lines.push(`  image: ${artifact.label} (${artifact.kind === "file" ? `streamed from the controller, ${formatBytes(artifact.size)}` : `downloaded by the host from ${artifact.url}`}), sha256 ${artifact.sha256}`);
  if (pf.mode === "vm" && pf.disk && pf.layout) {
    lines.push(`  disk: /dev/${pf.disk.disk} (${gib(pf.disk.sizeBytes)}): the image overwrites its first 512 MiB (p1 /boot, p2 swap, p3 /sysroot)`);
    for (const p of pf.layout.partitions) lines.push(`    p${p.number} ${p.role.padEnd(9)} ${gib(p.sizeBytes).padStart(9)} at ${gib(p.startBytes)}`);
  } else {
    lines.push(`  root: the rootfs is unpacked in /.pine-staging, then swapped in; the old top-level directories are kept in /.pine-old`);
  }
  const net = pf.network;
  if (net) {
    lines.push(`  network: ${net.iface}${net.iface !== net.currentIface ? ` (now ${net.currentIface})` : ""}` +
      (net.ipv4 ? `, ${net.ipv4.address}/${net.ipv4.prefix} gateway ${net.ipv4.gateway ?? (net.deviceRoute ? `dev ${net.iface}` : "none")}` : "") +
      (net.ipv6 ? `, ${net.ipv6.address}/${net.ipv6.prefix} gateway ${net.ipv6.gateway ?? "none"}` : "") +
      (pf.nameservers.length ? `; nameservers ${pf.nameservers.join(" ")}` : ""));
  }
  for (const note of pf.notes) lines.push(`  note: ${note}`);
  lines.push(`  node ${config.node}; ${config.authorizedKeys.length} authorized key(s) + root's current ones; new host key ${hostKey.split(" ").slice(0, 2).join(" ").slice(0, 50)}…`);
  lines.push(`  then: reboot, reconnect accepting only that host key, check /etc/pine, the booted deployment and the network`);
  return lines.join("\n");
}
