// `pine deploy INVENTORY upgrade`: roll an OSTree release across pine hosts without taking more than --max-down of
// them down at once. The target and its deltas are resolved once on the controller; per host the delta is fetched,
// verified and applied while the host runs, then — holding a slot of the reboot lock — the target is deployed, the
// host rebooted (a container restarted) and checked. A host that fails its checks goes back to the commit it ran.
import { defineDeploy } from "../../src/deploys/define.js";
import { PineError } from "../../src/errors.js";
import type { HostContext } from "../../src/host.js";
import { createLock, type LockLease } from "../../src/lock/index.js";
import { hasCommit } from "../../facts/ostree/has-commit.js";
import { status } from "../../facts/ostree/status.js";
import { release } from "../../facts/pine/release.js";
import { absent } from "../../operations/files/absent.js";
import * as lock from "../../operations/lock/index.js";
import * as ostree from "../../operations/ostree/index.js";
import { readUpgradeConfig, type UpgradeConfig } from "./config.js";
import { fetchDelta, PINE_BIN } from "./fetch.js";
import { checkHealth, describeCheck } from "./health.js";
import { readRolloutOptions } from "./options.js";
import { formatReport } from "./report.js";
import { restart } from "./restart.js";
import { Rollout, type HostRecord, type HostState } from "./rollout.js";
import { deltaFor, short, TargetResolver, type Target } from "./target.js";

const REPO = "/ostree/repo";
/** Where deltas wait on the host until ostree has applied them (/var survives the reboot; /tmp may be small). */
const STAGING = "/var/tmp/pine-upgrade";

interface Prepared {
  configs: Map<string, UpgradeConfig>;
  targets: Map<string, Target>;
  rollout: Rollout;
  hosts: string[];
  lockLabel: string;
  dry: boolean;
  log(message: string): void;
  /** Stops listening for Ctrl-C. */
  detach(): void;
}

export default defineDeploy<Prepared>({
  name: "upgrade",
  description: "roll an OSTree release across pine hosts: batches, a reboot lock, health checks, automatic rollback",
  async prepare(controller) {
    const options = readRolloutOptions(controller.options);
    // Every host's settings are checked, and every target resolved, before anything connects.
    const configs = new Map(controller.hosts.map((h) => [h.name, readUpgradeConfig(h.name, h.data, options.to)] as const));
    const resolver = new TargetResolver();
    const targets = new Map<string, Target>();
    for (const host of controller.hosts) targets.set(host.name, await resolver.resolve(configs.get(host.name)!.target));
    const distinct = [...new Set([...targets.values()].map((t) => `${t.label} (${short(t.commit)})`))];
    controller.log(`upgrade to ${distinct.join(", ")}; reboot lock ${options.lockLabel}, at most ${options.maxDown} host(s) down at once`);
    // --dry takes no slot and talks to no lock backend.
    const rebootLock = controller.dry ? undefined : createLock(options.lock, "reboot", options.maxDown);
    const rollout = new Rollout(rebootLock, options.maxDown, controller.maxFail ?? Number.POSITIVE_INFINITY);
    // The runner stops starting hosts on Ctrl-C; hosts already waiting for a slot must stop waiting too. Hosts
    // past that point finish their reboot and checks: leaving one half-way is worse than a few seconds more.
    const interrupted = (signal: NodeJS.Signals) => rollout.stop(`interrupted (${signal}): no host starts a reboot any more`);
    process.on("SIGINT", interrupted);
    process.on("SIGTERM", interrupted);
    return {
      configs,
      targets,
      rollout,
      hosts: controller.hosts.map((h) => h.name),
      lockLabel: options.lockLabel,
      dry: controller.dry,
      log: controller.log,
      detach: () => {
        process.off("SIGINT", interrupted);
        process.off("SIGTERM", interrupted);
      },
    };
  },

  async run(host, prepared) {
    const record = prepared.rollout.begin(host.name);
    try {
      await upgradeHost(host, prepared, record);
    } catch (error) {
      if (!record.outcome) prepared.rollout.end(record, "failed", firstLine(error));
      if (record.outcome !== "not upgraded") prepared.rollout.failed();
      if (record.outcome === "failed") say(host, "failed", record.detail ?? firstLine(error));
      throw error;
    }
  },

  async finish(prepared, summary) {
    if (!prepared) return;
    prepared.detach();
    await prepared.rollout.close();
    const notStarted = new Map<string, string>();
    const errors = new Map<string, string>();
    for (const outcome of summary?.outcomes ?? []) {
      if (outcome.skipped) notStarted.set(outcome.host, outcome.error ?? "not started");
      else if (!outcome.ok && outcome.error) errors.set(outcome.host, outcome.error);
    }
    prepared.log(
      formatReport({
        hosts: prepared.hosts,
        records: prepared.rollout.records,
        notStarted,
        errors,
        lockLabel: prepared.lockLabel,
        maxDown: prepared.rollout.maxDown,
        mostDown: prepared.rollout.mostDown,
        dry: prepared.dry,
      }),
    );
  },
});

function say(host: HostContext, state: HostState, detail: string): void {
  host.progress(`${state}: ${detail}`);
}

function firstLine(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split("\n")[0]!;
}

async function upgradeHost(host: HostContext, prepared: Prepared, record: HostRecord): Promise<void> {
  const { rollout } = prepared;
  const config = prepared.configs.get(host.name)!;
  const target = prepared.targets.get(host.name)!;
  const [deployments, running] = await host.facts(status, release);
  const booted = deployments.find((d) => d.booted);
  if (!booted) {
    throw new PineError("not an OSTree pine host: `ostree admin status` shows no booted deployment", { host: host.name, step: "upgrade.preflight", hint: "install pine first (pine deploy INVENTORY install)" });
  }
  const from = { commit: booted.commit, name: target.names.get(booted.commit) ?? running?.version ?? booted.version ?? short(booted.commit) };
  const to = { commit: target.commit, name: target.label };
  record.from = from;
  record.to = to;
  if (booted.commit === target.commit) {
    rollout.end(record, "skipped", "already on the target");
    say(host, "done", `already on ${to.name} (${short(to.commit)}): skipped`);
    return;
  }
  const present = await host.fact(hasCommit(REPO, to.commit));
  const delta = present ? undefined : deltaFor(target, from.commit);
  if (!present && !delta) {
    throw new PineError(`no static delta leads from ${from.name} (${short(from.commit)}) to ${to.name} (${short(to.commit)})`, {
      host: host.name,
      step: "upgrade.delta",
      hint: "add a delta from that commit (or a full one, from: empty) to the release index, or data.upgrade.delta; nothing was changed",
    });
  }

  if (host.dry) {
    const how = delta ? `${delta.artifact.kind === "file" ? "stream" : "download"} ${delta.artifact.label} (${delta.artifact.kind === "file" ? delta.artifact.path : delta.artifact.url})` : "the commit is already in the repository";
    const checks = ["booted commit", ...config.health.map(describeCheck)].join(", ");
    host.progress(`would upgrade ${from.name} (${short(from.commit)}) → ${to.name} (${short(to.commit)}): ${how}; deploy, reboot under the lock; check ${checks} within ${config.healthTimeoutMs / 1000}s`);
    host.count("planned");
    rollout.end(record, "planned");
    return;
  }

  // Staging: none of this changes what the host boots, so it runs before the lock and can be dropped by a later run.
  say(host, "applying", delta ? `fetching ${delta.artifact.label} for ${to.name}` : `${to.name} is already in the repository`);
  await ostree.keep(host, { count: 2 });
  if (delta) {
    const dest = `${STAGING}/${delta.artifact.sha256.slice(0, 16)}.delta`;
    await fetchDelta(host, { artifact: delta.artifact, dest, farm: PINE_BIN });
    say(host, "applying", `ostree static-delta apply-offline (${to.name})`);
    await ostree.apply_delta(host, { delta: dest, commit: to.commit });
    await absent(host, { path: dest });
  }

  say(host, "waiting", `for a slot of the reboot lock (at most ${rollout.maxDown} down)`);
  const lease = await takeSlot(host, prepared, record);
  let keepSlot = false;
  try {
    say(host, "locked", `deploying ${to.name} as the next boot`);
    await ostree.deploy(host, { commit: to.commit });
    await ostree.keep(host, { count: 2 });
    if (lease.lost.aborted) {
      await ostree.deploy(host, { commit: from.commit });
      throw new PineError(`lost its reboot-lock slot before the reboot (${String(lease.lost.reason)}): not rebooted; the next boot stays ${from.name}`, { host: host.name, step: "upgrade.lock" });
    }
    rollout.wentDown(host.name);
    keepSlot = true;
    say(host, "rebooting", `into ${to.name} (${short(to.commit)})`);
    await restart(host, { timeoutMs: config.rebootTimeoutMs });
    say(host, "checking", `booted commit${config.health.length ? ` + ${config.health.length} check(s)` : ""}, up to ${config.healthTimeoutMs / 1000}s`);
    const problem = await checkHealth(host, to.commit, config.health, config.healthTimeoutMs);
    if (!problem) {
      rollout.cameUp(record);
      keepSlot = false;
      rollout.end(record, "upgraded");
      say(host, "done", `${to.name} (${short(to.commit)}) booted and healthy; down ${(record.downMs / 1000).toFixed(1)}s`);
      return;
    }
    say(host, "rebooting", `unhealthy (${problem}): rolling back to ${from.name} (${short(from.commit)})`);
    await rollBack(host, from, config);
    rollout.cameUp(record);
    keepSlot = false;
    rollout.end(record, "rolled back", problem);
    say(host, "rolled back", `to ${from.name} (${short(from.commit)}): ${problem}`);
    throw new PineError(`${problem}; rolled back to ${from.name} (${short(from.commit)})`, { host: host.name, step: "upgrade.health", hint: "the host runs its previous release again; look at why the check fails on the target" });
  } finally {
    // A host that did not come back keeps its slot: it is down, and the lock is there to count that.
    if (keepSlot) rollout.keepSlot(lease);
    else await lock.release(host, { lease });
  }
}

/** A slot of the reboot lock, or — when the budget is spent or no slot can free — a clean "not upgraded". */
async function takeSlot(host: HostContext, prepared: Prepared, record: HostRecord): Promise<LockLease> {
  const { rollout } = prepared;
  try {
    const { lease } = await lock.acquire(host, { lock: rollout.lock!, signal: rollout.signal });
    return lease;
  } catch (error) {
    const why = rollout.stopReason;
    if (!why) throw error;
    const detail = `stopped waiting for the reboot lock: ${why}`;
    rollout.end(record, "not upgraded", detail);
    say(host, "failed", `${detail}; not rebooted, it still boots ${record.from?.name}`);
    throw new PineError(`not upgraded: ${detail}`, { host: host.name, step: "upgrade.lock", hint: `nothing it boots was changed (${record.to?.name} is only staged in its repository); run again once the cause is fixed` });
  }
}

/** Make the previous commit the next boot again and reboot into it, unless the host already runs it. */
async function rollBack(host: HostContext, from: { commit: string; name: string }, config: UpgradeConfig): Promise<void> {
  host.invalidate("ostree.*");
  const booted = (await host.fact(status)).find((d) => d.booted);
  await ostree.deploy(host, { commit: from.commit });
  await ostree.keep(host, { count: 2 });
  if (booted?.commit === from.commit) return;
  await restart(host, { timeoutMs: config.rebootTimeoutMs });
  host.invalidate("ostree.*");
  const now = (await host.fact(status)).find((d) => d.booted);
  if (now?.commit !== from.commit) {
    throw new PineError(`the rollback to ${from.name} did not take: the host booted ${now ? short(now.commit) : "no deployment"}`, { host: host.name, step: "upgrade.rollback", hint: "inspect `ostree admin status` on the host" });
  }
}
