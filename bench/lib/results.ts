// bench/RESULTS.md: newest section on top, every earlier section kept below it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { MachineInfo } from "./machine.js";
import { max, median, min } from "./stats.js";

/** One scenario at one size: the successful runs' numbers and every failed run's reason. */
export interface SizeResult {
  hosts: number;
  pine: { wallMs: number[]; cpuS: number[]; rssMb: number[]; failures: string[] };
  floor: { wallMs: number[]; sshMs: number[]; cpuS: number[]; rssMb: number[]; failures: string[] };
}

export interface Report {
  date: string;
  command: string;
  machine: MachineInfo;
  facts: string[];
  runs: number;
  maxHandshakes: number;
  startupMs: number[];
  sizes: SizeResult[];
  /** Exec channels per host seen by strace, or why they were not counted. */
  roundTrips: string;
  /** How long the whole benchmark took, lab included. */
  totalS: number;
  /** 1/5/15-minute load averages at the start and the end: other work on the machine skews the numbers. */
  loadBefore: number[];
  loadAfter: number[];
}

const HEADER = `# pine benchmark results

Newest first; each section is written by \`bench/facts.ts\` (see its header for what is measured and how).
Every section keeps the exact command that produced it.

<!-- new results go below this line -->
`;
const MARKER = "<!-- new results go below this line -->\n";

const f0 = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : "–");
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : "–");
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : "–");

export function renderReport(r: Report): string {
  const m = r.machine;
  const rows = r.sizes.map((s) => {
    const pineMed = median(s.pine.wallMs);
    const floorMed = median(s.floor.wallMs);
    const ok = `${s.pine.wallMs.length}/${s.pine.wallMs.length + s.pine.failures.length}`;
    return `| ${s.hosts} | ${ok} | ${f0(pineMed)} | ${f0(min(s.pine.wallMs))} | ${f0(max(s.pine.wallMs))} | ${f2(median(s.pine.cpuS))} | ${f1(max(s.pine.rssMb))} | ${f0(floorMed)} | ${f0(median(s.floor.sshMs))} | ${f2(median(s.floor.cpuS))} | ${f1(max(s.floor.rssMb))} | ${f2(pineMed / floorMed)} |`;
  });
  const failures = r.sizes.flatMap((s) => [
    ...s.pine.failures.map((why) => `- N=${s.hosts}, pine: ${why}`),
    ...s.floor.failures.map((why) => `- N=${s.hosts}, floor: ${why}`),
  ]);
  return [
    `## ${r.date}: \`pine facts\` on N lab hosts`,
    "",
    "```sh",
    r.command,
    "```",
    "",
    `- Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB RAM, kernel ${m.kernel}, Node ${m.node}, OpenSSH server ${m.openssh}, ssh2 ${m.ssh2}`,
    `- pine commit: ${m.commit}`,
    `- Load average (1/5/15 min) at start ${r.loadBefore.map(f2).join(" ")}, at end ${r.loadAfter.map(f2).join(" ")}`,
    `- Facts: ${r.facts.join(" ")} (\`--json --parallel N --max-handshakes ${r.maxHandshakes}\`)`,
    `- ${r.runs} timed runs per N and program, pine and floor alternating, after one untimed warm-up each; whole benchmark ${f0(r.totalS)} s`,
    `- pine start-up (\`bin/pine.js --version\`): median ${f0(median(r.startupMs))} ms of ${r.startupMs.length} (min ${f0(min(r.startupMs))}, max ${f0(max(r.startupMs))})`,
    `- Round trips: ${r.roundTrips}`,
    "",
    "| N | pine ok runs | pine median ms | pine min ms | pine max ms | pine CPU s | pine peak RSS MB | floor median ms | floor SSH-only ms | floor CPU s | floor peak RSS MB | pine/floor |",
    "|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    "Wall times are whole processes (Node start-up included) measured by the benchmark; CPU (user+system, median) and peak RSS",
    "(max over runs) of the controller come from GNU time. The floor is `bench/floor.ts`: connect, run `true`, disconnect, same",
    "caps; \"SSH-only\" is its time from first connect to last disconnect, without Node start-up and module loading.",
    "pine/floor compares median whole-process wall times.",
    "",
    failures.length ? `Failed runs (not in the numbers above):\n\n${failures.join("\n")}\n` : "Failed runs: none.\n",
  ].join("\n");
}

/** Put `section` at the top of the results file, keeping everything that was there. */
export function prependResults(path: string, section: string): void {
  const text = existsSync(path) ? readFileSync(path, "utf8") : HEADER;
  const at = text.indexOf(MARKER);
  const next = at === -1 ? `${HEADER}\n${section}\n${text}` : `${text.slice(0, at + MARKER.length)}\n${section}\n${text.slice(at + MARKER.length)}`;
  writeFileSync(path, next);
}
