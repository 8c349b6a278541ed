// After the reboot: is the host really the installed pine system? Read facts over the new connection (which
// already proved the pinned host key) and compare with what install wrote.
import { PineError } from "../../src/errors.js";
import type { HostContext } from "../../src/host.js";
import { addresses } from "../../facts/net/addresses.js";
import { status } from "../../facts/ostree/status.js";
import { release } from "../../facts/pine/release.js";
import { mounts } from "../../facts/server/mounts.js";
import type { InstallMode } from "./config.js";
import type { TargetNetwork } from "./network.js";

export interface Verified {
  version: string;
  deployment: string | null;
}

export async function verifyInstalled(host: HostContext, mode: InstallMode, network: TargetNetwork): Promise<Verified> {
  const [rel, addrs, deployments, mounted] = await host.gather([release, addresses, status, mounts]);
  const problems: string[] = [];
  const version = rel?.ok && rel.value ? (rel.value as { version: string }).version : null;
  if (!version) problems.push(`/etc/pine names no pine version (${rel && !rel.ok ? rel.reason : "file absent"})`);
  let deployment: string | null = null;
  if (deployments?.ok) {
    const booted = (deployments.value as { booted: boolean; commit: string; serial: number; osname: string }[]).find((d) => d.booted);
    if (booted) deployment = `${booted.osname} ${booted.commit}.${booted.serial}`;
    else problems.push("ostree admin status shows no booted deployment");
  } else problems.push(`ostree admin status failed: ${deployments?.ok === false ? deployments.reason : "no result"}`);
  if (addrs?.ok && network.ipv4) {
    const found = (addrs.value as { address: string; prefix: number }[]).some((a) => a.address === network.ipv4!.address);
    if (!found) problems.push(`the address ${network.ipv4.address} written into the network config is not in effect`);
  }
  if (mode === "vm" && mounted?.ok) {
    const list = mounted.value as { device: string; mountpoint: string; fstype: string }[];
    const v = list.findLast((m) => m.mountpoint === "/var");
    const root = list.findLast((m) => m.mountpoint === "/");
    if (!v || v.fstype !== "xfs") problems.push(`/var is not mounted from the new xfs partition (${v ? `it is ${v.fstype}` : "not mounted"})`);
    // The sysroot's own var bound on /var is xfs too: it must come from a device other than the root's.
    else if (root && v.device === root.device) problems.push(`/var comes from ${v.device}, the sysroot's own partition, not from its new partition`);
  }
  if (problems.length > 0) {
    throw new PineError(`the installed system does not check out: ${problems.join("; ")}`, {
      host: host.name,
      step: "install.verify",
      hint: "the host runs the new system (its pinned key answered); inspect it over ssh",
    });
  }
  return { version: version!, deployment };
}
