// `pine lab up`: bring a lab to exactly N running hosts, keeping the ones already up.
import { mkdir, rm, writeFile } from "node:fs/promises";
import pLimit from "p-limit";
import { ensureBridge } from "./bridge.js";
import { renderInventory, renderKnownHosts } from "./inventory-file.js";
import { ensureKeyPair } from "./keys.js";
import { checkLabHost, isHealthy, startLabHost, stopLabHost } from "./lab-host.js";
import { findHostIndexes } from "./lab-members.js";
import { hostDir, labLayout, type LabLayout } from "./layout.js";
import { ensureLoginUser } from "./login-user.js";
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
  /** A plain account (created if missing, clean HOME) that also accepts the lab key. */
  loginUser?: string;
}

/** Hosts started in parallel: each is a handful of `ip` calls and one sshd; two cores do not need more. */
const START_CONCURRENCY = 8;

export async function labUp(options: LabUpOptions): Promise<LabState> {
  assertLabName(options.name);
  assertHostCount(options.hosts);
  const layout = labLayout(options.dir);
  await assertLabPreconditions();
  await mkdir(layout.dir, { recursive: true, mode: 0o700 });
  await ensurePrivilegeSeparationDir();

  const lab = options.name;
  const previous = await readLabState(layout.dir);
  const clientKey = await ensureKeyPair(layout.key, `pine-lab-${lab}`);
  const remembered = previous?.name === lab ? Number(previous.subnet.split(".")[2]) : undefined;
  const subnet = await ensureBridge(lab, Number.isInteger(remembered) ? remembered : undefined);
  // Hosts recorded under another subnet have the wrong address: they are rebuilt, not kept.
  const recorded = new Map(
    previous?.name === lab && previous.subnet === subnet.cidr ? previous.hosts.map((host) => [host.index, host]) : [],
  );

  const limit = pLimit(START_CONCURRENCY);
  const extras = (await findHostIndexes(lab, layout, previous)).filter((index) => index > options.hosts);
  await Promise.all(
    extras.map((index) =>
      limit(async () => {
        await stopLabHost(lab, index, layout, recorded.get(index)?.sshdPid);
        await rm(hostDir(layout, hostName(index)), { recursive: true, force: true });
      }),
    ),
  );

  const wanted = Array.from({ length: options.hosts }, (_, i) => i + 1);
  const outcomes = await Promise.allSettled(
    wanted.map((index) => limit(() => keepOrStart(lab, index, subnet, layout, recorded.get(index)))),
  );
  const hosts = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));

  const state: LabState = {
    name: lab,
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
): Promise<LabHostState> {
  if (recorded && isHealthy(await checkLabHost(lab, layout, recorded))) return recorded;
  await stopLabHost(lab, index, layout, recorded?.sshdPid);
  return startLabHost(lab, index, subnet, layout);
}
