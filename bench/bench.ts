// The side-by-side benchmark (issue 7): pine, Ansible and the SSH floor on the same N real SSH hosts.
//
//   bash bench/run.sh [options]              installs what is missing (apt-get), builds pine, runs this file
//   npx tsx bench/bench.ts [options]         the same without the set-up
//
// Options: --sizes 10,100,250,1000  --runs 3  --budget-s 840 (0: no budget)  --ansible-runs R  --ansible-sizes 10,100
//          --ansible-scenarios adhoc,facts,deploy  --no-ansible  --ansible-max-forks 250  --max-handshakes 20  --timeout-s 900  --no-round-trips
//          --lab-prefix pbn  --dir /tmp/pine-bench-lab  --keep  --no-write  --note TEXT
//
// Phase 1, for each N ascending (the labs grow between sizes, 244 hosts per lab): repetition 1 of the floor; pine
// ad-hoc, facts, deploy first run, deploy second run; then (at --ansible-sizes) Ansible's raw, setup, and the playbook's
// first and second run. Untimed warm-ups (floor, pine deploy) and the strace count of round trips at the first N only.
// Phase 2, with every lab still up (size N is the first N hosts): repetitions 2..--runs, smallest N first.
// pine and the floor run at --parallel N; Ansible at forks = N (at most --ansible-max-forks). Every run's output is
// checked (lib/verify.ts, lib/ansible.ts); a failed check is a failed run, listed and never averaged in. Deploy
// directories are removed before every first run.
//
// The budget (--budget-s, counted from bench/run.sh's start): repetition 1 of the floor and pine at every N always
// runs. Anything else runs only if its estimated time (lib/cells.ts) leaves room for what must still come (repetition 1
// at the later sizes, their lab growth, the teardown). What did not fit is listed with its estimate.
// Results go on top of bench/RESULTS.md.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadavg } from "node:os";
import { execFileSync } from "node:child_process";
import { parseBenchArgs, type BenchOptions } from "./lib/args.js";
import { ansibleArgv, ansibleSetup, checkAnsibleRun, type AnsibleScenario, type AnsibleSetup } from "./lib/ansible.js";
import { Cells, type Program, type Scenario } from "./lib/cells.js";
import { median } from "./lib/stats.js";
import { GNU_TIME, killCurrentChild, runTimed, type ChildRun } from "./lib/child.js";
import { buildFloor } from "./lib/floor-build.js";
import { createLabSet, type BenchLab, type LabSet } from "./lib/labs.js";
import { describeMachine } from "./lib/machine.js";
import { prependResults, renderReport, type LabTiming } from "./lib/results.js";
import { countExecChannels } from "./lib/round-trips.js";
import { checkFloorRun, checkPineDeploy, checkPineExec, checkPineFacts, FACTS } from "./lib/verify.js";

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = dirname(BENCH);
const OUT = join(BENCH, "out");
/** pine as built by bench/run.sh into bench/out/pine (a private copy), else this checkout's own build. */
const PINE_ROOT = process.env.PINE_BENCH_PINE_ROOT || REPO;
const PINE = join(PINE_ROOT, "bin", "pine.js");
const DEPLOY = join(PINE_ROOT, "bench", "deploy.ts");
const PLAYBOOK = join(BENCH, "playbook.yml");
const DEPLOY_ROOT = "/tmp/pine-bench-deploy";
const log = (message: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

/** Raise the ARP table limits for the run: 1000 hosts on the bridges overflow the default gc_thresh3 of 1024. */
function raiseNeighbourLimits(hosts: number): () => void {
  const keys = ["gc_thresh1", "gc_thresh2", "gc_thresh3"].map((k) => `/proc/sys/net/ipv4/neigh/default/${k}`);
  const before = keys.map((k) => Number(readFileSync(k, "utf8")));
  const wanted = [hosts * 2, hosts * 4, hosts * 8].map((v, i) => Math.max(v, before[i]!));
  keys.forEach((k, i) => writeFileSync(k, String(wanted[i])));
  return () => keys.forEach((k, i) => writeFileSync(k, String(before[i])));
}

interface Context {
  opts: BenchOptions;
  cells: Cells;
  floor: string;
  deadline: number;
  /** Seconds the labs took per host to come up / go down (measured; priors until then). */
  labUpPerHostS: number;
  labDownPerHostS: number;
}

async function main(): Promise<void> {
  const opts = parseBenchArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error("the lab needs root: run as root");
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing: apt-get install -y time (bench/run.sh does it)`);
  if (!existsSync(join(PINE_ROOT, "dist", "src", "cli", "main.js"))) throw new Error(`pine is not built in ${PINE_ROOT}: npm run build (bench/run.sh does it)`);
  if (opts.ansibleSizes.length && !hasCommand("ansible-playbook")) throw new Error("ansible-core is missing: apt-get install ansible-core (bench/run.sh does it), or --no-ansible");
  const startedAt = Number(process.env.PINE_BENCH_STARTED_MS) || Date.now();
  const command = process.env.PINE_BENCH_COMMAND ?? `npx tsx bench/bench.ts ${process.argv.slice(2).join(" ")}`.trim();
  const machine = describeMachine(REPO);
  const ctx: Context = {
    opts,
    cells: new Cells(),
    floor: buildFloor(),
    deadline: opts.budgetS ? startedAt + opts.budgetS * 1000 : Number.POSITIVE_INFINITY,
    labUpPerHostS: 0.13,
    labDownPerHostS: 0.075,
  };
  const loadBefore = loadavg();
  const labs = createLabSet({ prefix: opts.labPrefix, dir: opts.dir, log });
  const restoreNeighbours = raiseNeighbourLimits(Math.max(...opts.sizes));

  let tearingDown: Promise<void> | undefined;
  const teardown = (): Promise<void> => {
    tearingDown ??= (async () => {
      await rm(DEPLOY_ROOT, { recursive: true, force: true });
      if (!opts.keep) {
        log(`tearing down labs ${labs.labNames().join(", ")}`);
        await labs.down();
        await rm(opts.dir, { recursive: true, force: true });
      }
      restoreNeighbours();
    })();
    return tearingDown;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping, tearing the labs down`);
      // Bounded: the lab's own commands all have timeouts; give up after 120 s anyway.
      setTimeout(() => process.exit(130), 120_000).unref();
      void killCurrentChild()
        .then(teardown)
        .finally(() => process.exit(130));
    });
  }

  const labTimings: LabTiming[] = [];
  let roundTrips: string[] = [];
  let startupMs: number[] = [];
  let nodeStartupMs = Number.NaN;
  let downS = Number.NaN;
  try {
    log("pine start-up: 20 × bin/pine.js --version");
    startupMs = await measureStartup(opts, [PINE, "--version"]);
    nodeStartupMs = median(await measureStartup(opts, ["-e", "0"]));
    let hostsUp = 0;
    for (const [index, n] of opts.sizes.entries()) {
      log(`N=${n}: bringing up ${n - hostsUp} more host(s) in ${opts.dir}`);
      const t0 = Date.now();
      const lab = await labs.ensure(n);
      const upS = (Date.now() - t0) / 1000;
      // Small growths are mostly fixed cost: keep the prior until a growth of 100 hosts or more was measured.
      // It grows faster than linearly (namespaces, ARP): never below the prior.
      if (n - hostsUp >= 100) ctx.labUpPerHostS = Math.max(ctx.labUpPerHostS, upS / (n - hostsUp));
      labTimings.push({ n, added: n - hostsUp, seconds: upS });
      hostsUp = n;
      log(`N=${n}: labs ready in ${upS.toFixed(1)} s`);
      await firstPass(ctx, lab, opts.sizes.slice(index + 1), hostsUp, index === 0);
      if (opts.countRoundTrips && index === 0) roundTrips = await countRoundTrips(ctx, lab);
    }
    await morePasses(ctx, labs, hostsUp);
    const t0 = Date.now();
    await teardown();
    downS = (Date.now() - t0) / 1000;
    const section = renderReport({
      date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      command,
      note: opts.note,
      machine,
      opts,
      startupMs,
      nodeStartupMs,
      cells: ctx.cells,
      labTimings,
      labDownS: downS,
      roundTrips,
      totalS: (Date.now() - startedAt) / 1000,
      loadBefore,
      loadAfter: loadavg(),
      fdLimit: fdLimit(),
    });
    process.stdout.write(`${section}\n`);
    if (!opts.dryResults) prependResults(opts.results, section);
    if (ctx.cells.all().some((c) => c.failures.length)) process.exitCode = 1;
  } finally {
    await teardown();
  }
}

async function measureStartup(opts: BenchOptions, args: string[]): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const run = await runTimed([process.execPath, ...args], opts.timeoutMs);
    if (run.code !== 0) throw new Error(`node ${args.join(" ")} failed: ${run.stderr.trim()}`);
    times.push(run.wallMs);
  }
  return times;
}

function pineArgv(scenario: Scenario, lab: BenchLab, n: number, opts: BenchOptions): string[] {
  const common = ["--json", "--parallel", String(n), "--max-handshakes", String(opts.maxHandshakes)];
  switch (scenario) {
    case "adhoc":
      return [process.execPath, PINE, "exec", lab.inventory, ...common, "--", "uname", "-a"];
    case "facts":
      return [process.execPath, PINE, "facts", lab.inventory, ...FACTS, ...common];
    case "deploy1":
    case "deploy2":
      return [process.execPath, PINE, "deploy", lab.inventory, DEPLOY, ...common, "--data", `benchRoot=${DEPLOY_ROOT}/pine`];
    case "floor":
      throw new Error("the floor is not a pine scenario");
  }
}

/** Run one measured pine/floor/ansible run, check it, record it in its cell. Returns the run's problem or null. */
async function measure(ctx: Context, lab: BenchLab, program: Program, scenario: Scenario, label: string, ansible?: AnsibleSetup): Promise<string | null> {
  const n = lab.hosts.length;
  const cell = ctx.cells.get(n, program, scenario);
  if (scenario === "deploy1") await rm(join(DEPLOY_ROOT, program), { recursive: true, force: true });
  let run: ChildRun;
  let problem: string | null;
  let sshMs: number | undefined;
  if (program === "floor") {
    run = await runTimed([process.execPath, ctx.floor, lab.inventory, "--parallel", String(n), "--max-handshakes", String(ctx.opts.maxHandshakes)], ctx.opts.timeoutMs);
    const checked = checkFloorRun(run, n);
    problem = checked.problem;
    sshMs = checked.sshMs;
  } else if (program === "pine") {
    run = await runTimed(pineArgv(scenario, lab, n, ctx.opts), ctx.opts.timeoutMs, { ...process.env, NO_COLOR: "1" }, OUT);
    problem =
      scenario === "adhoc"
        ? checkPineExec(run, lab.hosts)
        : scenario === "facts"
          ? checkPineFacts(run, lab.hosts)
          : checkPineDeploy(run, lab.hosts, scenario === "deploy1" ? "first" : "second");
  } else {
    const forks = Math.min(n, ctx.opts.ansibleMaxForks);
    run = await runTimed(ansibleArgv(scenario as AnsibleScenario, ansible!, forks, PLAYBOOK, `${DEPLOY_ROOT}/ansible`), ctx.opts.timeoutMs, ansible!.env, OUT);
    problem = run.timedOut ? `timed out after ${Math.round(run.wallMs)} ms` : checkAnsibleRun(scenario as AnsibleScenario, run.stdout, lab.hosts);
    if (!problem && run.code !== 0) problem = `exit ${run.code ?? run.signal}: ${run.stderr.slice(0, 300)}`;
  }
  log(`N=${n} ${label} ${program} ${scenario}: ${(run.wallMs / 1000).toFixed(2)} s, CPU ${run.cpuS.toFixed(2)} s, RSS ${run.rssMb.toFixed(0)} MB${problem ? ` FAILED: ${problem}` : ""}`);
  if (problem) {
    cell.failures.push(`${label}: ${problem}`);
    writeFileSync(join(OUT, `failed-${n}-${program}-${scenario}-${cell.failures.length}.log`), `${run.stdout}\n--- stderr ---\n${run.stderr}`);
  } else if (label !== "warm-up") {
    cell.samples.push({ wallMs: run.wallMs, cpuS: run.cpuS, rssMb: run.rssMb, groupMemMb: run.groupMemMb, ...(sshMs !== undefined ? { sshMs } : {}) });
  }
  return problem;
}

const PINE_CELLS: Array<[Program, Scenario]> = [
  ["floor", "floor"],
  ["pine", "adhoc"],
  ["pine", "facts"],
  ["pine", "deploy1"],
  ["pine", "deploy2"],
];
const ANSIBLE_GROUPS: Scenario[][] = [["adhoc"], ["facts"], ["deploy1", "deploy2"]];

/** Seconds that must stay free after everything planned so far: the teardown of the labs as they will be at the end. */
function teardownReserveS(ctx: Context, maxHosts: number): number {
  return maxHosts * ctx.labDownPerHostS;
}

/** One repetition of the floor and pine's four runs at this size. */
async function pineRep(ctx: Context, lab: BenchLab, label: string): Promise<void> {
  for (const [program, scenario] of PINE_CELLS) {
    const problem = await measure(ctx, lab, program, scenario, label);
    // The second deploy run only means something after a good first one.
    if (problem && scenario === "deploy1") {
      ctx.cells.get(lab.hosts.length, "pine", "deploy2").skipped.push(`${label}: the first run failed`);
      return;
    }
  }
}

/** One Ansible group (raw, setup, or the playbook's two runs) at this size. */
async function ansibleRep(ctx: Context, lab: BenchLab, group: Scenario[], label: string): Promise<void> {
  const n = lab.hosts.length;
  const setup = ansibleSetup(OUT, n, Math.min(n, ctx.opts.ansibleMaxForks), lab.ansibleInventory, lab.knownHosts);
  for (const scenario of group) {
    const problem = await measure(ctx, lab, "ansible", scenario, label, setup);
    if (problem && scenario === "deploy1") {
      ctx.cells.get(n, "ansible", "deploy2").skipped.push(`${label}: the first run failed`);
      return;
    }
  }
}

function ansibleGroups(ctx: Context, n: number): Scenario[][] {
  if (!ctx.opts.ansibleSizes.includes(n)) return [];
  return ANSIBLE_GROUPS.filter((g) => ctx.opts.ansibleScenarios.includes(g[0]!.replace(/\d$/, "")));
}

/**
 * Phase 1, at each size as the labs grow: warm-ups (first size), repetition 1 of the floor and pine (always), and
 * repetition 1 of each Ansible group if it fits next to repetition 1 at the later sizes, their lab growth and the teardown.
 */
async function firstPass(ctx: Context, lab: BenchLab, later: number[], hostsUp: number, warmUp: boolean): Promise<void> {
  const n = lab.hosts.length;
  const { cells } = ctx;
  // Untimed, at the first size only (at N=1000 a warm-up costs ~15 s): Node, pine's modules and sshd are in the page
  // cache, tsx's transform cache is filled. A failure here is reported like any other.
  if (warmUp) {
    await measure(ctx, lab, "floor", "floor", "warm-up");
    await measure(ctx, lab, "pine", "deploy1", "warm-up");
  }
  await pineRep(ctx, lab, "run 1");
  const maxHosts = Math.max(hostsUp, ...later);
  let laterS = 0;
  let up = hostsUp;
  for (const m of later) {
    laterS += Math.max(0, m - up) * ctx.labUpPerHostS + PINE_CELLS.reduce((sum, [p, s]) => sum + cells.estimateS(m, p, s), 0);
    up = Math.max(up, m);
  }
  for (const group of ansibleGroups(ctx, n)) {
    const estimate = group.reduce((sum, s) => sum + cells.estimateS(n, "ansible", s), 0);
    if (Date.now() + (estimate + laterS + teardownReserveS(ctx, maxHosts)) * 1000 > ctx.deadline) {
      log(`N=${n} run 1 ansible ${group.join("+")}: left for later, estimated ${estimate.toFixed(0)} s does not fit now`);
      continue;
    }
    await ansibleRep(ctx, lab, group, "run 1");
  }
}

/**
 * Phase 2, with every lab up (a size's inventory is the first N hosts): the runs still missing, smallest size first
 * (cheap repetitions before expensive ones), each only if it fits before the teardown. What does not fit is listed.
 */
async function morePasses(ctx: Context, labs: LabSet, maxHosts: number): Promise<void> {
  const { opts, cells } = ctx;
  const fits = (estimate: number): boolean => Date.now() + (estimate + teardownReserveS(ctx, maxHosts)) * 1000 <= ctx.deadline;
  for (const n of opts.sizes) {
    const lab = await labs.ensure(n);
    for (let rep = 2; rep <= opts.runs; rep++) {
      const label = `run ${rep}`;
      const estimate = PINE_CELLS.reduce((sum, [p, s]) => sum + cells.estimateS(n, p, s), 0);
      if (!fits(estimate)) {
        for (const [p, s] of PINE_CELLS) cells.get(n, p, s).skipped.push(`${label}: budget (estimated ${estimate.toFixed(0)} s for the 5 runs)`);
        log(`N=${n} ${label} floor + pine: skipped, estimated ${estimate.toFixed(0)} s does not fit the budget`);
        continue;
      }
      await pineRep(ctx, lab, label);
    }
    for (const group of ansibleGroups(ctx, n)) {
      const done = (): number => {
        const c = cells.get(n, "ansible", group[0]!);
        return c.samples.length + c.failures.length;
      };
      while (done() < opts.ansibleRuns) {
        const label = `run ${done() + 1}`;
        const estimate = group.reduce((sum, s) => sum + cells.estimateS(n, "ansible", s), 0);
        if (!fits(estimate)) {
          const left = opts.ansibleRuns - done();
          for (let k = 0; k < left; k++) for (const s of group) cells.get(n, "ansible", s).skipped.push(`run ${done() + 1 + k}: budget (estimated ${estimate.toFixed(0)} s)`);
          log(`N=${n} ansible ${group.join("+")}: ${left} run(s) skipped, estimated ${estimate.toFixed(0)} s each does not fit the budget`);
          break;
        }
        await ansibleRep(ctx, lab, group, label);
      }
    }
  }
}

/** Exec channels per host, counted by strace on every sshd during one untimed run of each program and scenario. */
async function countRoundTrips(ctx: Context, lab: BenchLab): Promise<string[]> {
  const n = lab.hosts.length;
  const pids = new Map(lab.hosts.map((h) => [h.name, h.sshdPid]));
  const lines: string[] = [];
  const describe = (perHost: Map<string, number>): string => {
    const counts = [...perHost.values()];
    const lo = Math.min(...counts);
    const hi = Math.max(...counts);
    return lo === hi ? `${lo}` : `${lo}–${hi}`;
  };
  const targets: Array<[Program, Scenario]> = [...PINE_CELLS];
  if (ctx.opts.ansibleSizes.includes(n)) {
    // The playbook under strace costs ~30 s even at N=10 (25 channels per host): only without a budget.
    const scenarios: Scenario[] = ctx.opts.budgetS ? ["adhoc", "facts"] : ["adhoc", "facts", "deploy1"];
    for (const s of scenarios) if (ctx.opts.ansibleScenarios.includes(s.replace(/\d$/, ""))) targets.push(["ansible", s]);
  }
  const ansible = ansibleSetup(OUT, n, Math.min(n, ctx.opts.ansibleMaxForks), lab.ansibleInventory, lab.knownHosts);
  // Throwaway cells: these runs are untimed and not part of the table.
  const scratch: Context = { ...ctx, cells: new Cells() };
  for (const [program, scenario] of targets) {
    let problem: string | null = null;
    const counted = await countExecChannels(pids, join(OUT, `strace-${program}-${scenario}.txt`), async () => {
      problem = await measure(scratch, lab, program, scenario, "strace", ansible);
    });
    lines.push(`${program} ${scenario}: ${describe(counted.perHost)} (${describe(counted.execsPerHost)} programs)${problem ? ` (that run failed: ${String(problem)})` : ""}`);
  }
  log(`round trips (exec channels per host, N=${n}): ${lines.join("; ")}`);
  return lines;
}

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function fdLimit(): string {
  try {
    return execFileSync("sh", ["-c", "ulimit -n; ulimit -Hn"], { encoding: "utf8" }).trim().split("\n").join(" soft / ") + " hard";
  } catch {
    return "unknown";
  }
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
