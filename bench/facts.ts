// Benchmark: `pine facts` on N real lab hosts (issue 2), next to the SSH floor (bench/floor.ts).
//
//   npx tsx bench/facts.ts [--sizes 10,50,100] [--runs 3] [--max-handshakes 20] [--lab bench] [--dir /tmp/pine-bench-lab]
//                          [--timeout-s 180] [--no-round-trips] [--keep] [--no-write]
//   bench/run.sh [same options]      builds pine first, installs GNU time and strace when missing
//
// For each N (ascending; the lab grows between sizes): one untimed warm-up of pine and of the floor, then --runs timed
// runs of each, alternating. pine runs as `node bin/pine.js facts INVENTORY FACTS --json --parallel N`; wall time is
// measured here, CPU time and peak RSS by GNU time. A run counts only if every host answered every fact. On the smallest
// lab, strace counts the exec channels each host's sshd serves during one pine run and one floor run (untimed).
// The lab is torn down at the end, on errors and on SIGINT/SIGTERM. Results go on top of bench/RESULTS.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadavg } from "node:os";
import ts from "typescript";
import { labDown, labUp } from "../src/lab/index.js";
import type { LabState } from "../src/lab/index.js";
import { parseBenchArgs, FACTS, type BenchOptions } from "./lib/args.js";
import { GNU_TIME, killCurrentChild, runTimed } from "./lib/child.js";
import { describeMachine } from "./lib/machine.js";
import { prependResults, renderReport, type SizeResult } from "./lib/results.js";
import { countExecChannels } from "./lib/round-trips.js";
import { checkFloorRun, checkPineRun } from "./lib/verify.js";

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = dirname(BENCH);
const OUT = join(BENCH, "out");
const PINE = join(REPO, "bin", "pine.js");
const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);

/** The floor runs as plain JS under node, like pine's dist/, so neither pays for a TypeScript loader. */
function buildFloor(): string {
  const source = readFileSync(join(BENCH, "floor.ts"), "utf8");
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, "floor.js");
  writeFileSync(path, outputText);
  return path;
}

async function measureStartup(opts: BenchOptions): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const run = await runTimed([process.execPath, PINE, "--version"], opts.timeoutMs);
    if (run.code !== 0) throw new Error(`pine --version failed: ${run.stderr.trim()}`);
    times.push(run.wallMs);
  }
  return times;
}

async function benchSize(lab: LabState, floor: string, opts: BenchOptions): Promise<SizeResult> {
  const n = lab.hosts.length;
  const names = lab.hosts.map((host) => host.name);
  const pineArgv = [process.execPath, PINE, "facts", lab.inventory, ...FACTS, "--json", "--parallel", String(n), "--max-handshakes", String(opts.maxHandshakes)];
  const floorArgv = [process.execPath, floor, lab.inventory, "--parallel", String(n), "--max-handshakes", String(opts.maxHandshakes)];
  const result: SizeResult = {
    hosts: n,
    pine: { wallMs: [], cpuS: [], rssMb: [], failures: [] },
    floor: { wallMs: [], sshMs: [], cpuS: [], rssMb: [], failures: [] },
  };
  for (let i = 0; i <= opts.runs; i++) {
    const label = i === 0 ? "warm-up" : `run ${i}`;
    const pine = await runTimed(pineArgv, opts.timeoutMs, { ...process.env, NO_COLOR: "1" });
    const pineProblem = checkPineRun(pine, names, FACTS);
    log(`N=${n} ${label} pine ${Math.round(pine.wallMs)} ms${pineProblem ? ` FAILED: ${pineProblem}` : ""}`);
    const floorRun = await runTimed(floorArgv, opts.timeoutMs);
    const { problem: floorProblem, sshMs } = checkFloorRun(floorRun, n);
    log(`N=${n} ${label} floor ${Math.round(floorRun.wallMs)} ms${floorProblem ? ` FAILED: ${floorProblem}` : ""}`);
    // Warm-up failures are reported too: a failure is never silent.
    if (pineProblem) result.pine.failures.push(`${label}: ${pineProblem}`);
    else if (i > 0) {
      result.pine.wallMs.push(pine.wallMs);
      result.pine.cpuS.push(pine.cpuS);
      result.pine.rssMb.push(pine.rssMb);
    }
    if (floorProblem) result.floor.failures.push(`${label}: ${floorProblem}`);
    else if (i > 0) {
      result.floor.wallMs.push(floorRun.wallMs);
      result.floor.sshMs.push(sshMs);
      result.floor.cpuS.push(floorRun.cpuS);
      result.floor.rssMb.push(floorRun.rssMb);
    }
  }
  return result;
}

/** One pine run and one floor run under strace; "pine: 1 per host (10 hosts); floor: 1 per host" or what differed. */
async function roundTrips(lab: LabState, floor: string, opts: BenchOptions): Promise<string> {
  const pids = new Map(lab.hosts.map((host) => [host.name, host.sshdPid]));
  const n = lab.hosts.length;
  const describe = (perHost: Map<string, number>): string => {
    const counts = [...perHost.values()];
    const lo = Math.min(...counts);
    const hi = Math.max(...counts);
    return lo === hi ? `${lo} per host` : `${lo} to ${hi} per host (${[...perHost].map(([h, c]) => `${h}=${c}`).join(", ")})`;
  };
  let pineProblem: string | null = null;
  const pine = await countExecChannels(pids, join(OUT, "strace-pine.txt"), async () => {
    const run = await runTimed([process.execPath, PINE, "facts", lab.inventory, ...FACTS, "--json", "--parallel", String(n)], opts.timeoutMs);
    pineProblem = checkPineRun(run, lab.hosts.map((h) => h.name), FACTS);
  });
  let floorProblem: string | null = null;
  const floorCount = await countExecChannels(pids, join(OUT, "strace-floor.txt"), async () => {
    floorProblem = checkFloorRun(await runTimed([process.execPath, floor, lab.inventory, "--parallel", String(n)], opts.timeoutMs), n).problem;
  });
  return (
    `exec channels per host counted by strace on every sshd (N=${n}, untimed): pine facts ${describe(pine.perHost)}` +
    `${pineProblem ? ` (that run failed: ${pineProblem})` : ""}; floor ${describe(floorCount.perHost)} (the counter's check: expect 1)` +
    `${floorProblem ? ` (that run failed: ${floorProblem})` : ""}`
  );
}

async function main(): Promise<void> {
  const opts = parseBenchArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error("the lab needs root: run as root");
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing: apt-get install -y time (bench/run.sh does it)`);
  if (!existsSync(join(REPO, "dist", "src", "cli", "main.js"))) throw new Error("pine is not built: npm run build (bench/run.sh does it)");
  const startedAt = Date.now();
  const command = process.env.PINE_BENCH_COMMAND ?? `npx tsx bench/facts.ts ${process.argv.slice(2).join(" ")}`.trim();
  const machine = describeMachine(REPO);
  const floor = buildFloor();
  const loadBefore = loadavg();

  let tearingDown = false;
  const teardown = async (): Promise<void> => {
    if (tearingDown || opts.keep) return;
    tearingDown = true;
    log(`tearing down lab ${opts.lab}`);
    await labDown({ name: opts.lab, dir: opts.dir, removeDir: true }).catch((error: unknown) => log(`lab down failed: ${String(error)}`));
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      killCurrentChild();
      // Bounded: the lab's own commands all have timeouts; give up after 60 s anyway.
      setTimeout(() => process.exit(130), 60_000).unref();
      void teardown().finally(() => process.exit(130));
    });
  }

  try {
    log("pine start-up: 10 × bin/pine.js --version");
    const startupMs = await measureStartup(opts);
    const sizes: SizeResult[] = [];
    let roundTripNote = "not counted (--no-round-trips)";
    for (const n of opts.sizes) {
      log(`lab ${opts.lab}: bringing up ${n} hosts in ${opts.dir}`);
      const t0 = Date.now();
      const lab = await labUp({ name: opts.lab, hosts: n, dir: opts.dir });
      log(`lab ready in ${Date.now() - t0} ms`);
      sizes.push(await benchSize(lab, floor, opts));
      if (opts.countRoundTrips && n === opts.sizes[0]) roundTripNote = await roundTrips(lab, floor, opts);
    }
    const section = renderReport({
      date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      command,
      machine,
      facts: FACTS,
      runs: opts.runs,
      maxHandshakes: opts.maxHandshakes,
      startupMs,
      sizes,
      roundTrips: roundTripNote,
      totalS: (Date.now() - startedAt) / 1000,
      loadBefore,
      loadAfter: loadavg(),
    });
    process.stdout.write(`${section}\n`);
    if (!opts.dryResults) prependResults(opts.results, section);
    const failed = sizes.some((s) => s.pine.failures.length || s.floor.failures.length);
    if (failed) process.exitCode = 1;
  } finally {
    await teardown();
  }
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
