// bench/RESULTS.md: newest section on top, every earlier section kept below it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { BenchOptions } from "./args.js";
import { SCENARIOS, SCENARIO_TITLE, type Cell, type Cells } from "./cells.js";
import type { MachineInfo } from "./machine.js";
import { max, median, min } from "./stats.js";

export interface LabTiming {
  n: number;
  added: number;
  seconds: number;
}

export interface Report {
  date: string;
  command: string;
  note: string;
  machine: MachineInfo;
  opts: BenchOptions;
  startupMs: number[];
  /** Median whole-process time of `node -e 0`: what any Node program pays before its first line. */
  nodeStartupMs: number;
  cells: Cells;
  labTimings: LabTiming[];
  labDownS: number;
  /** "program scenario: channels per host" at the smallest N, or empty when not counted. */
  roundTrips: string[];
  totalS: number;
  loadBefore: number[];
  loadAfter: number[];
  fdLimit: string;
}

const HEADER = `# pine benchmark results

Newest first. Each section is written by \`bench/bench.ts\` (run by \`bash bench/run.sh\`; its header says what is
measured and how) and keeps the exact command that produced it.

<!-- new results go below this line -->
`;
const MARKER = "<!-- new results go below this line -->\n";

const s2 = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : "–");
const f0 = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : "–");
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : "–");
const wall = (c: Cell | undefined): number => (c && c.samples.length ? median(c.samples.map((s) => s.wallMs)) : Number.NaN);
const cpu = (c: Cell | undefined): number => (c && c.samples.length ? median(c.samples.map((s) => s.cpuS)) : Number.NaN);
const rss = (c: Cell | undefined): number => (c && c.samples.length ? max(c.samples.map((s) => s.rssMb)) : Number.NaN);
const groupMem = (c: Cell | undefined): number => (c && c.samples.length ? max(c.samples.map((s) => s.groupMemMb)) : Number.NaN);

/** "1.92 [3]": median seconds and successful runs; "[1 of 3]" when runs were skipped or failed; "–" and why when none. */
function timeCell(c: Cell | undefined, planned: number): string {
  if (!c) return "not run";
  const ok = c.samples.length;
  const attempted = ok + c.failures.length + c.skipped.length;
  if (ok === 0) {
    if (c.failures.length) return `failed ×${c.failures.length}`;
    const est = /estimated (\d+) s/.exec(c.skipped[0] ?? "")?.[1];
    return c.skipped.length ? `skipped (budget${est ? `, est. ${est} s` : ""})` : "not run";
  }
  const note = ok === planned && attempted === ok ? `[${ok}]` : `[${ok} of ${Math.max(planned, attempted)}]`;
  return `${s2(wall(c))} ${note}`;
}

export function renderReport(r: Report): string {
  const m = r.machine;
  const o = r.opts;
  const sizes = [...new Set(r.cells.all().map((c) => c.n))].sort((a, b) => a - b);
  const cell = (n: number, p: "pine" | "ansible" | "floor", s: string) => r.cells.find(n, p, s as never);
  const rows: string[] = [];
  for (const n of sizes) {
    const floor = wall(cell(n, "floor", "floor"));
    const ansibleHere = o.ansibleSizes.includes(n);
    for (const s of SCENARIOS) {
      const p = cell(n, "pine", s);
      const a = cell(n, "ansible", s);
      const pw = wall(p);
      const aw = wall(a);
      rows.push(
        `| ${n} | ${SCENARIO_TITLE[s]} | ${timeCell(p, o.runs)} | ${f2(cpu(p))} | ${f0(rss(p))} | ${s2(floor)} | **${f2(pw / floor)}** | ` +
          `${ansibleHere ? timeCell(a, o.ansibleRuns) : "not run"} | ${f2(cpu(a))} | ${f0(rss(a))} / ${f0(groupMem(a))} | ${f2(pw / aw)} | **${Number.isFinite(aw / pw) ? `${(aw / pw).toFixed(1)}×` : "–"}** |`,
      );
    }
  }
  const floorRows = sizes.map((n) => {
    const c = cell(n, "floor", "floor");
    return `| ${n} | ${timeCell(c, o.runs)} | ${s2(c && c.samples.length ? median(c.samples.map((x) => x.sshMs ?? Number.NaN)) : Number.NaN)} | ${f2(cpu(c))} | ${f0(rss(c))} |`;
  });
  const failures = r.cells.all().flatMap((c) => c.failures.map((why) => `- N=${c.n} ${c.program} ${c.scenario}: ${why}`));
  // "run 2: budget (estimated 21 s ...)" per run, grouped per cell: "runs 2, 3: budget (estimated 21 s ...)".
  const skipped = r.cells.all().flatMap((c) => {
    const byReason = new Map<string, string[]>();
    for (const entry of c.skipped) {
      const m = /^run (\d+): (.*)$/.exec(entry);
      const [run, why] = m ? [m[1]!, m[2]!] : ["?", entry];
      byReason.set(why, [...(byReason.get(why) ?? []), run]);
    }
    return [...byReason].map(([why, runs]) => `- N=${c.n} ${c.program} ${c.scenario}: run${runs.length > 1 ? "s" : ""} ${runs.join(", ")}: ${why}`);
  });
  return [
    `## ${r.date}: pine vs Ansible vs the SSH floor, N = ${sizes.join(", ")}`,
    "",
    "```sh",
    r.command,
    "```",
    "",
    ...(r.note ? [r.note, ""] : []),
    `- Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB RAM, ${m.os}, kernel ${m.kernel}; open files ${r.fdLimit}`,
    `- Versions: pine ${m.pine} at ${m.commit}; Node ${m.node}; ssh2 ${m.ssh2}; OpenSSH server ${m.openssh}; ${m.sshClient} (Ansible's client); ansible-core ${m.ansible}; ${m.python}`,
    `- Load average (1/5/15 min) at start ${r.loadBefore.map(f2).join(" ")}, at end ${r.loadAfter.map(f2).join(" ")} (other work on the machine counts in every number)`,
    `- Whole benchmark: ${f0(r.totalS)} s from \`bench/run.sh\`'s start (build included)${o.budgetS ? `; budget ${o.budgetS} s` : "; no budget"}. Labs: ${r.labTimings.map((t) => `+${t.added} hosts ${t.seconds.toFixed(0)} s`).join(", ")}; teardown ${f0(r.labDownS)} s`,
    `- pine and floor: \`--parallel N --max-handshakes ${o.maxHandshakes}\`; Ansible: forks = min(N, ${o.ansibleMaxForks}), pipelining, ControlPersist (Ansible's defaults), strict host key checking against the lab's known_hosts, \`-m raw -a 'uname -a'\`, \`-m setup\`, \`ansible-playbook bench/playbook.yml\` (no fact gathering); Ansible scenarios run: ${o.ansibleScenarios.join(", ")} at N = ${o.ansibleSizes.filter((n) => sizes.includes(n)).join(", ") || "none"}`,
    `- Up to ${o.runs} timed runs per cell (${o.ansibleRuns} for Ansible); medians. Run 1 at each N as the labs grow, runs 2–${o.runs} afterwards with all hosts up (an N is always its first N hosts); untimed warm-ups (floor, pine deploy) at the first N. [k] = successful runs; [k of m] = fewer than planned (see below)`,
    `- pine start-up (\`bin/pine.js --version\`, whole process): median ${f0(median(r.startupMs))} ms of ${r.startupMs.length} (min ${f0(min(r.startupMs))}, max ${f0(max(r.startupMs))}); \`node -e 0\` on this machine: ${f0(r.nodeStartupMs)} ms`,
    ...(r.roundTrips.length ? [`- Round trips: exec channels per host, and (in brackets) programs exec'd per host, counted by strace on every sshd during one untimed run each at N=${sizes[0]}: ${r.roundTrips.join("; ")}`] : []),
    "",
    "Seconds are whole-process wall times (Node/Python start-up included). CPU = user+system of every process the",
    "controller command started (its cgroup; Ansible's ssh masters included); RSS = peak of the largest single process",
    "(GNU time); for Ansible also the cgroup's peak memory (all forks, page cache included). pine/floor and",
    "pine/Ansible divide median wall times; Ansible÷pine is how many times faster pine was.",
    "",
    "| N | scenario | pine s | pine CPU s | pine RSS MB | floor s | pine/floor | Ansible s | Ansible CPU s | Ansible RSS MB (largest / all) | pine/Ansible | Ansible÷pine |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    "The floor (`bench/floor.ts`: ssh2, connect to every host at the same caps, run `true`, disconnect); SSH-only is its",
    "time from the first connect to the last disconnect, without Node start-up:",
    "",
    "| N | floor s | SSH-only s | CPU s | RSS MB |",
    "|---:|---:|---:|---:|---:|",
    ...floorRows,
    "",
    "Targets (issue 7):",
    "",
    "| target | measured | |",
    "|---|---|---|",
    ...targets(r, sizes),
    "",
    failures.length ? `Failed runs (not in the numbers above):\n\n${failures.join("\n")}\n` : "Failed runs: none.\n",
    skipped.length ? `Runs not made:\n\n${skipped.join("\n")}\n` : "Runs not made: none.\n",
  ].join("\n");
}

function targets(r: Report, sizes: number[]): string[] {
  const cell = (n: number, p: "pine" | "ansible" | "floor", s: string) => r.cells.find(n, p, s as never);
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? "not measured" : ok ? "met" : "**missed**");
  const ratios = (s: string, limit: number): [string, boolean | undefined] => {
    const parts = sizes.map((n) => [n, wall(cell(n, "pine", s)) / wall(cell(n, "floor", "floor"))] as const);
    const known = parts.filter(([, v]) => Number.isFinite(v));
    const text = parts.map(([n, v]) => `N=${n}: ${f2(v)}`).join(", ");
    return [text, known.length === 0 ? undefined : known.length === parts.length ? known.every(([, v]) => v <= limit) : known.every(([, v]) => v <= limit) ? undefined : false];
  };
  const speedup = (s: string, n: number, limit: number): [string, boolean | undefined] => {
    const v = wall(cell(n, "ansible", s)) / wall(cell(n, "pine", s));
    return [Number.isFinite(v) ? `${v.toFixed(1)}×` : "–", Number.isFinite(v) ? v >= limit : undefined];
  };
  const lines: string[] = [];
  for (const [s, title, limit] of [
    ["adhoc", "ad-hoc within 1.3× the floor at every N", 1.3],
    ["facts", "facts within 1.3× the floor at every N", 1.3],
    ["deploy1", "deploy 1st run within 2.5× the floor at every N", 2.5],
    ["deploy2", "deploy 2nd run within 2.5× the floor at every N", 2.5],
  ] as const) {
    const [text, ok] = ratios(s, limit);
    lines.push(`| ${title} | ${text} | ${verdict(ok)} |`);
  }
  for (const [s, title, limit] of [
    ["facts", "facts ≥15× faster than Ansible `-m setup` at N=100", 15],
    ["deploy1", "deploy 1st run ≥40× faster than Ansible at N=100", 40],
    ["deploy2", "deploy 2nd run ≥40× faster than Ansible at N=100", 40],
  ] as const) {
    const [text, ok] = speedup(s, 100, limit);
    lines.push(`| ${title} | ${text} | ${verdict(ok)} |`);
  }
  const big = Math.max(...sizes);
  const bigCells = ["adhoc", "facts", "deploy1", "deploy2"].map((s) => cell(big, "pine", s));
  const allDone = bigCells.every((c) => c && c.samples.length > 0);
  const anyFailed = bigCells.some((c) => c && c.failures.length > 0);
  const peak = max(bigCells.flatMap((c) => (c ? c.samples.map((x) => x.rssMb) : [])));
  lines.push(
    `| N=${big}: every scenario completes, no host failing | ${allDone ? "all 4 completed" : "not all completed"}${anyFailed ? "; some runs failed (see below)" : "; no failed run"} | ${verdict(big >= 1000 ? allDone && !anyFailed : undefined)} |`,
  );
  lines.push(`| N=${big}: pine peak RSS < 400 MB | ${f0(peak)} MB | ${verdict(big >= 1000 && Number.isFinite(peak) ? peak < 400 : undefined)} |`);
  const start = median(r.startupMs);
  lines.push(`| \`pine --version\` < 150 ms | ${f0(start)} ms | ${verdict(Number.isFinite(start) ? start < 150 : undefined)} |`);
  lines.push(`| whole benchmark < 15 min | ${f0(r.totalS)} s | ${verdict(r.totalS < 900)} |`);
  return lines;
}

/** Put `section` at the top of the results file, keeping everything that was there. */
export function prependResults(path: string, section: string): void {
  const text = existsSync(path) ? readFileSync(path, "utf8") : HEADER;
  const at = text.indexOf(MARKER);
  const next = at === -1 ? `${HEADER}\n${section}\n${text}` : `${text.slice(0, at + MARKER.length)}\n${section}\n${text.slice(at + MARKER.length)}`;
  writeFileSync(path, next);
}
