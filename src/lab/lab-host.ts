// One lab host's life: start it (network, host key, sshd), look at it, stop it, whatever state it was left in.
import { mkdir, readFile, rm } from "node:fs/promises";
import { createHostNetwork, removeHostNetwork } from "./host-network.js";
import { listNamespaces, namespacePids } from "./interfaces.js";
import { ensureKeyPair, fingerprint, parsePublicKey } from "./keys.js";
import { isLabSshd, signal, terminate } from "./lab-process.js";
import { hostDir, sshdFiles, type LabLayout } from "./layout.js";
import { hostAddress, hostName, namespaceName, vethName, type LabSubnet } from "./names.js";
import { SSHD_PATH } from "./preconditions.js";
import { readSshBanner } from "./ssh-banner.js";
import { startSshd, waitForSshd, writeSshdConfig } from "./sshd.js";
import type { LabHostState } from "./state.js";

export interface LabHostHealth {
  name: string;
  index: number;
  address?: string;
  namespacePresent: boolean;
  sshdAlive: boolean;
  portAnswering: boolean;
}

export async function startLabHost(lab: string, index: number, subnet: LabSubnet, layout: LabLayout): Promise<LabHostState> {
  const name = hostName(index);
  const namespace = namespaceName(lab, index);
  const address = hostAddress(subnet, index);
  const files = sshdFiles(layout, name);
  await mkdir(hostDir(layout, name), { recursive: true });
  // The host key survives restarts, so known_hosts stays valid across `lab up` runs.
  const hostKey = await ensureKeyPair(files.hostKey, `${name}@pine-lab-${lab}`);
  await writeSshdConfig({ address, files, authorizedKeys: layout.publicKey });
  await rm(files.pidFile, { force: true });
  await createHostNetwork(lab, index, subnet);
  const sshdPid = startSshd(namespace, name, files);
  await waitForSshd(sshdPid, address, files);
  return {
    name,
    index,
    namespace,
    veth: vethName(lab, index),
    address,
    sshdPid,
    hostKeyFingerprint: fingerprint(parsePublicKey(hostKey)),
    hostKey,
  };
}

/**
 * Stops host i's sshd (recorded PID and PID file, each verified to be this host's sshd), then every
 * process still in its namespace (ssh sessions), then removes its network. Missing parts are skipped.
 */
export async function stopLabHost(lab: string, index: number, layout: LabLayout, recordedPid?: number): Promise<void> {
  const namespace = namespaceName(lab, index);
  const files = sshdFiles(layout, hostName(index));
  const identity = { executable: SSHD_PATH, config: files.config, namespace };
  const candidates = new Set([recordedPid, await readPidFile(files.pidFile)].filter((pid) => pid !== undefined));
  for (const pid of candidates) {
    if (await isLabSshd(pid, identity)) await terminate(pid);
  }
  if ((await listNamespaces()).includes(namespace)) {
    // Everything inside a lab namespace was started by its sshd: sessions, commands, leftovers of a crash.
    for (const pid of await namespacePids(namespace)) signal(pid, "SIGKILL");
  }
  await removeHostNetwork(lab, index);
  await rm(files.pidFile, { force: true });
}

/** Whether a recorded host is fully up: namespace there, its sshd alive, its port giving a banner. */
export async function checkLabHost(lab: string, layout: LabLayout, host: Pick<LabHostState, "name" | "index" | "address" | "sshdPid">): Promise<LabHostHealth> {
  const namespace = namespaceName(lab, host.index);
  const files = sshdFiles(layout, host.name);
  const namespacePresent = (await listNamespaces()).includes(namespace);
  const sshdAlive = await isLabSshd(host.sshdPid, { executable: SSHD_PATH, config: files.config, namespace });
  const portAnswering = namespacePresent && (await readSshBanner(host.address, 22, 1_000).then(() => true, () => false));
  return { name: host.name, index: host.index, address: host.address, namespacePresent, sshdAlive, portAnswering };
}

export function isHealthy(health: LabHostHealth): boolean {
  return health.namespacePresent && health.sshdAlive && health.portAnswering;
}

/** The PID sshd wrote, if the file holds one. */
export async function readPidFile(path: string): Promise<number | undefined> {
  const text = await readFile(path, "utf8").catch(() => "");
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}
