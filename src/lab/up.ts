// `pine lab up`: bring a lab to exactly N running hosts, keeping the ones already up.
import { mkdir, writeFile } from "node:fs/promises";
import pLimit from "p-limit";
import { UsageError } from "../errors.js";
import { ensureBridge } from "./bridge.js";
import { ensureDebianRootfs } from "./debian-rootfs.js";
import { assertHostKind, type LabHostKind } from "./host-kind.js";
import { renderInventory, renderKnownHosts } from "./inventory-file.js";
import { ensureKeyPair } from "./keys.js";
import { checkLabHost, isHealthy, startLabHost, stopLabHost, type HostBlueprint } from "./lab-host.js";
import { findHostIndexes } from "./lab-members.js";
import { hostDir, labLayout, type LabLayout } from "./layout.js";
import { ensureLoginUser } from "./login-user.js";
import { removeTree } from "./mounts.js";
import { assertHostCount, assertLabName, bridgeName, hostName, type LabSubnet } from "./names.js";
import { assertLabPreconditions } from "./preconditions.js";
import { ensurePrivilegeSeparationDir } from "./sshd.js";
import { readLabState, writeLabState, type LabHostState, type LabState } from "./state.js";

export interface LabUpOptions {
  /** 1 to 6 characters from [a-z0-9]; distinct labs need distinct names. */
  name: string;
  /** How many hosts (h1..hN) the lab should have afterwards. */
  hosts: number;
  /** State directory: keys, known_hosts, inventory.yaml, state.json, per-host sshd files. */
  dir: string;
  /** A plain account (created if missing, clean HOME) that also accepts the lab key. Kind "plain" only. */
  loginUser?: string;
  /**
   * What the hosts are made of (see host-kind.ts); default "plain". Changing it rebuilds every host.
   * "debian" builds the cached rootfs first when it is missing (once, 20-60 s).
   */
  kind?: LabHostKind;
}

/** Hosts started in parallel: each is a handful of `ip` calls and one sshd; two cores do not need more. */
const START_CONCURRENCY = 8;
/** A debian host extracts a ~270 MB tree and boots systemd: more at once only fights over the two cores and the disk. */
const ROOT_START_CONCURRENCY = 2;

export async function labUp(options: LabUpOptions): Promise<LabState> {
  assertLabName(options.name);
  assertHostCount(options.hosts);
  const kind = options.kind ?? "plain";
  assertHostKind(kind);
  if (options.loginUser && kind !== "plain") {
    throw new UsageError(`loginUser works with kind "plain" only (a ${kind} host has its own /etc/passwd)`);
  }
  const layout = labLayout(options.dir);
  await assertLabPreconditions(kind);
  await mkdir(layout.dir, { recursive: true, mode: 0o700 });
  await ensurePrivilegeSeparationDir();

  const lab = options.name;
  const previous = await readLabState(layout.dir);
  const clientKey = await ensureKeyPair(layout.key, `pine-lab-${lab}`);
  const remembered = previous?.name === lab ? Number(previous.subnet.split(".")[2]) : undefined;
  const subnet = await ensureBridge(lab, Number.isInteger(remembered) ? remembered : undefined);
  // Hosts recorded under another subnet have the wrong address, and of another kind the wrong body: rebuilt, not kept.
  const sameLab = previous?.name === lab && previous.subnet === subnet.cidr;
  const recorded = new Map(sameLab ? previous.hosts.map((host) => [host.index, host]) : []);
  const keepable = sameLab && previous.kind === kind;
  const blueprint: HostBlueprint = kind === "debian" ? { kind, tarball: await ensureDebianRootfs() } : { kind };

  const limit = pLimit(kind === "debian" ? ROOT_START_CONCURRENCY : START_CONCURRENCY);
  const extras = (await findHostIndexes(lab, layout, previous)).filter((index) => index > options.hosts);
  await Promise.all(
    extras.map((index) =>
      limit(async () => {
        await stopLabHost(lab, index, layout, recorded.get(index)?.sshdPid);
        await removeTree(hostDir(layout, hostName(index)));
      }),
    ),
  );

  const wanted = Array.from({ length: options.hosts }, (_, i) => i + 1);
  const outcomes = await Promise.allSettled(
    wanted.map((index) =>
      limit(() => keepOrStart(lab, index, subnet, layout, recorded.get(index), keepable, blueprint)),
    ),
  );
  const hosts = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));

  const state: LabState = {
    name: lab,
    kind,
    dir: layout.dir,
    bridge: bridgeName(lab),
    subnet: subnet.cidr,
    gateway: subnet.gateway,
    key: layout.key,
    knownHosts: layout.knownHosts,
    inventory: layout.inventory,
    ...(options.loginUser ? { loginUser: options.loginUser } : {}),
    hosts,
  };
  // Written before any failure is raised, so `lab down` finds every host that did start.
  await writeFile(layout.knownHosts, renderKnownHosts(hosts));
  await writeFile(layout.inventory, renderInventory(layout, hosts));
  await writeLabState(state);

  const failure = outcomes.find((outcome) => outcome.status === "rejected");
  if (failure) throw failure.reason;
  if (options.loginUser) await ensureLoginUser(options.loginUser, clientKey);
  return state;
}

async function keepOrStart(
  lab: string,
  index: number,
  subnet: LabSubnet,
  layout: LabLayout,
  recorded: LabHostState | undefined,
  keepable: boolean,
  blueprint: HostBlueprint,
): Promise<LabHostState> {
  if (recorded && keepable && isHealthy(await checkLabHost(lab, layout, recorded, blueprint.kind))) return recorded;
  await stopLabHost(lab, index, layout, recorded?.sshdPid);
  try {
    return await startLabHost(lab, index, subnet, layout, blueprint);
  } catch (error) {
    // A host that failed to start is not left half-running (a container, mounts, a 270 MB root);
    // its logs stay in its host dir for the error's hint.
    await stopLabHost(lab, index, layout).catch(() => undefined);
    throw error;
  }
}
