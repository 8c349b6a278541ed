// One lab host's life: start it (network, host key, root filesystem, sshd), look at it, stop it, whatever state it was left in.
import { access, mkdir, rm } from "node:fs/promises";
import { prepareBusyboxRoot } from "./busybox-root.js";
import { isSandboxRunning, startSandbox, stopSandbox } from "./busybox-sandbox.js";
import { prepareDebianRoot } from "./debian-root.js";
import { hostCgroups, removeHostCgroups } from "./host-cgroup.js";
import type { LabHostKind } from "./host-kind.js";
import { createHostNetwork, removeHostNetwork } from "./host-network.js";
import { listNamespaces, namespacePids } from "./interfaces.js";
import { ensureKeyPair, fingerprint, parsePublicKey } from "./keys.js";
import { isLabSshd, readPidFile, signal, terminate, waitUntilGone } from "./lab-process.js";
import { hostDir, rootHostFiles, sshdFiles, type LabLayout } from "./layout.js";
import { removeTree } from "./mounts.js";
import { hostAddress, hostName, namespaceName, vethName, type LabSubnet } from "./names.js";
import { isSupervisorRunning, startSupervisor, stopSupervisor } from "./nspawn-supervisor.js";
import { SSHD_PATH } from "./preconditions.js";
import type { RootIdentity } from "./root-identity.js";
import { readSshBanner } from "./ssh-banner.js";
import { startSshd, waitForBanner, waitForSshd, writeSshdConfig } from "./sshd.js";
import type { LabHostState } from "./state.js";

export { readPidFile } from "./lab-process.js";

export interface LabHostHealth {
  name: string;
  index: number;
  address?: string;
  namespacePresent: boolean;
  sshdAlive: boolean;
  portAnswering: boolean;
}

export interface HostBlueprint {
  kind: LabHostKind;
  /** debian: the cached rootfs tarball to extract. */
  tarball?: string;
}

/** A booting container can take a while on a loaded machine; ~1 s is usual here. */
const CONTAINER_BOOT_TIMEOUT_MS = 60_000;

export async function startLabHost(
  lab: string,
  index: number,
  subnet: LabSubnet,
  layout: LabLayout,
  blueprint: HostBlueprint = { kind: "plain" },
): Promise<LabHostState> {
  const name = hostName(index);
  const namespace = namespaceName(lab, index);
  const address = hostAddress(subnet, index);
  const files = sshdFiles(layout, name);
  await mkdir(hostDir(layout, name), { recursive: true });
  // The host key survives restarts, so known_hosts stays valid across `lab up` runs.
  const hostKey = await ensureKeyPair(files.hostKey, `${name}@pine-lab-${lab}`);
  const identity: RootIdentity = { hostname: name, address, gateway: subnet.gateway, files, authorizedKeys: layout.publicKey };
  const roots = rootHostFiles(layout, name);
  let sshdPid: number;
  if (blueprint.kind === "debian") {
    if (!blueprint.tarball) throw new Error("a debian host needs the rootfs tarball");
    await prepareDebianRoot(blueprint.tarball, roots.root, identity);
    // The address is set from outside before boot and survives the container's reboots (see root-identity.ts).
    await createHostNetwork(lab, index, subnet);
    sshdPid = await startSupervisor({ namespace, files: roots, cgroups: await hostCgroups(namespace) });
    await waitForBanner({ pid: sshdPid, address, log: roots.console, what: "debian container", timeoutMs: CONTAINER_BOOT_TIMEOUT_MS });
  } else if (blueprint.kind === "busybox") {
    await prepareBusyboxRoot(roots.root, identity);
    await createHostNetwork(lab, index, subnet);
    sshdPid = await startSandbox(namespace, name, roots, files.log);
    await waitForBanner({ pid: sshdPid, address, log: files.log, what: "busybox host's sshd", timeoutMs: 10_000 });
  } else {
    await writeSshdConfig({ address, files, authorizedKeys: layout.publicKey });
    await rm(files.pidFile, { force: true });
    await createHostNetwork(lab, index, subnet);
    sshdPid = startSshd(namespace, name, files);
    await waitForSshd(sshdPid, address, files);
  }
  return {
    name,
    index,
    namespace,
    veth: vethName(lab, index),
    address,
    sshdPid,
    ...(blueprint.kind === "plain" ? {} : { root: roots.root }),
    hostKeyFingerprint: fingerprint(parsePublicKey(hostKey)),
    hostKey,
  };
}

/**
 * Stops host i whatever it is or was (a lab may change kind, or have crashed half-built): its sshd, its
 * container supervisor and nspawn, its busybox sandbox, every process still in its namespace or cgroup; then
 * removes its network and its root filesystem (after checking nothing is mounted in it). Missing parts are skipped.
 */
export async function stopLabHost(lab: string, index: number, layout: LabLayout, recordedPid?: number): Promise<void> {
  const name = hostName(index);
  const namespace = namespaceName(lab, index);
  const files = sshdFiles(layout, name);
  const roots = rootHostFiles(layout, name);
  const identity = { executable: SSHD_PATH, config: files.config, namespace };
  const candidates = new Set([recordedPid, await readPidFile(files.pidFile)].filter((pid) => pid !== undefined));
  for (const pid of candidates) {
    if (await isLabSshd(pid, identity)) await terminate(pid);
  }
  if (await exists(roots.supervisorScript)) await stopSupervisor(roots, recordedPid);
  if (await exists(roots.root)) await stopSandbox(roots, recordedPid);
  if ((await listNamespaces()).includes(namespace)) {
    // Everything inside a lab namespace was started for the host: sessions, commands, a container, leftovers of a crash.
    const inside = await namespacePids(namespace);
    for (const pid of inside) signal(pid, "SIGKILL");
    for (const pid of inside) await waitUntilGone(pid, 2_000);
  }
  await removeHostCgroups(namespace);
  await removeHostNetwork(lab, index);
  await removeTree(roots.root);
  await Promise.all(
    [files.pidFile, roots.supervisorPid, roots.nspawnPid, roots.sandboxPid, roots.supervisorScript].map((path) => rm(path, { force: true })),
  );
}

/** Whether a recorded host is fully up: namespace there, the process keeping its sshd alive, its port giving a banner. */
export async function checkLabHost(
  lab: string,
  layout: LabLayout,
  host: Pick<LabHostState, "name" | "index" | "address" | "sshdPid">,
  kind: LabHostKind = "plain",
): Promise<LabHostHealth> {
  const namespace = namespaceName(lab, host.index);
  const namespacePresent = (await listNamespaces()).includes(namespace);
  const sshdAlive = await isKeeperRunning(layout, namespace, host, kind);
  const portAnswering = namespacePresent && (await readSshBanner(host.address, 22, 1_000).then(() => true, () => false));
  return { name: host.name, index: host.index, address: host.address, namespacePresent, sshdAlive, portAnswering };
}

export function isHealthy(health: LabHostHealth): boolean {
  return health.namespacePresent && health.sshdAlive && health.portAnswering;
}

/** The PID file of the process that keeps a host of this kind up (for hosts missing from state.json). */
export function keeperPidFile(layout: LabLayout, name: string, kind: LabHostKind): string {
  if (kind === "debian") return rootHostFiles(layout, name).supervisorPid;
  if (kind === "busybox") return rootHostFiles(layout, name).sandboxPid;
  return sshdFiles(layout, name).pidFile;
}

async function isKeeperRunning(layout: LabLayout, namespace: string, host: Pick<LabHostState, "name" | "sshdPid">, kind: LabHostKind): Promise<boolean> {
  if (kind === "debian") return isSupervisorRunning(rootHostFiles(layout, host.name), host.sshdPid);
  if (kind === "busybox") return isSandboxRunning(rootHostFiles(layout, host.name), host.sshdPid);
  return isLabSshd(host.sshdPid, { executable: SSHD_PATH, config: sshdFiles(layout, host.name).config, namespace });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}
