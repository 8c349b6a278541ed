// What makes a root filesystem this lab host: hostname, its static address in ifupdown's file, its SSH host key, the lab key for root.
import { chmod, copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SshdFiles } from "./sshd.js";

export interface RootIdentity {
  hostname: string;
  /** The host's IPv4 address, /24 on the lab bridge. */
  address: string;
  gateway: string;
  /** The lab's existing per-host key pair (known_hosts already pins it). */
  files: Pick<SshdFiles, "hostKey">;
  /** The lab client's public key file. */
  authorizedKeys: string;
}

/**
 * /etc/network/interfaces as the Debian installer writes it for a static server. `allow-hotplug`, not `auto`:
 * the lab sets the address on eth0 from outside before the host boots (as a hypervisor does for a venet),
 * and `ifup -a` at boot would fail on an address already there; the stanza is the host's own record of it.
 */
export function renderInterfaces(address: string, gateway: string): string {
  return [
    "# Written by pine lab. eth0 is configured from outside before boot, as a container host's venet is.",
    "source /etc/network/interfaces.d/*",
    "",
    "auto lo",
    "iface lo inet loopback",
    "",
    "allow-hotplug eth0",
    "iface eth0 inet static",
    `\taddress ${address}/24`,
    `\tgateway ${gateway}`,
    "",
  ].join("\n");
}

export function renderHosts(hostname: string): string {
  return `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
}

/** Writes hostname, hosts, interfaces, the SSH host key and root's authorized_keys into `root`. */
export async function writeRootIdentity(root: string, identity: RootIdentity): Promise<void> {
  const etc = join(root, "etc");
  await mkdir(join(etc, "network"), { recursive: true });
  await mkdir(join(etc, "ssh"), { recursive: true });
  await writeFile(join(etc, "hostname"), `${identity.hostname}\n`);
  await writeFile(join(etc, "hosts"), renderHosts(identity.hostname));
  await writeFile(join(etc, "network", "interfaces"), renderInterfaces(identity.address, identity.gateway));
  const hostKey = join(etc, "ssh", "ssh_host_ed25519_key");
  await copyFile(identity.files.hostKey, hostKey);
  await chmod(hostKey, 0o600);
  await copyFile(`${identity.files.hostKey}.pub`, `${hostKey}.pub`);
  await chmod(`${hostKey}.pub`, 0o644);
  const sshDir = join(root, "root", ".ssh");
  await mkdir(sshDir, { recursive: true, mode: 0o700 });
  await chmod(join(root, "root"), 0o700);
  await chmod(sshDir, 0o700);
  await writeFile(join(sshDir, "authorized_keys"), await readFile(identity.authorizedKeys, "utf8"), { mode: 0o600 });
}

/** The sshd settings both root kinds share: the one host key, keys only, root by key, quick logins, many at once. */
export const ROOT_SSHD_SETTINGS = [
  "HostKey /etc/ssh/ssh_host_ed25519_key",
  "PermitRootLogin prohibit-password",
  "PasswordAuthentication no",
  "KbdInteractiveAuthentication no",
  "PubkeyAuthentication yes",
  "UseDNS no",
  "PrintMotd no",
  // Benchmarks open many connections at once; the default 10:30:100 would drop some.
  "MaxStartups 200",
  "MaxSessions 100",
];
