// Command-line options of the benchmark (bench/run.sh passes them through), validated up front.
import { parseArgs } from "node:util";

export interface BenchOptions {
  sizes: number[];
  /** Timed runs per cell (median of these); fewer when the budget says so, and the table says so. */
  runs: number;
  /** Runs per Ansible cell at most (default: --runs). */
  ansibleRuns: number;
  /** Sizes at which Ansible runs at all (default 10,100). */
  ansibleSizes: number[];
  /** Which Ansible scenarios run: adhoc, facts, deploy (both playbook runs). */
  ansibleScenarios: string[];
  /** Ansible forks never exceed this (each fork is a Python process of 20-60 MB). */
  ansibleMaxForks: number;
  maxHandshakes: number;
  /** Seconds for the whole benchmark (counted from bench/run.sh's start); 0: no budget, run every planned cell. */
  budgetS: number;
  labPrefix: string;
  dir: string;
  results: string;
  countRoundTrips: boolean;
  /** Per child process (one pine, floor or ansible run), in ms. */
  timeoutMs: number;
  keep: boolean;
  dryResults: boolean;
  /** Free text written under the section's title (e.g. why this run was made). */
  note: string;
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: "string", default: "10,100,250,1000" },
      runs: { type: "string", default: "3" },
      "ansible-runs": { type: "string" },
      "ansible-sizes": { type: "string" },
      "ansible-max-forks": { type: "string", default: "250" },
      "ansible-scenarios": { type: "string", default: "adhoc,facts,deploy" },
      "no-ansible": { type: "boolean", default: false },
      "max-handshakes": { type: "string", default: "20" },
      "budget-s": { type: "string", default: "840" },
      "lab-prefix": { type: "string", default: "pbn" },
      dir: { type: "string", default: "/tmp/pine-bench-lab" },
      results: { type: "string", default: new URL("../RESULTS.md", import.meta.url).pathname },
      "no-round-trips": { type: "boolean", default: false },
      "timeout-s": { type: "string", default: "900" },
      keep: { type: "boolean", default: false },
      "no-write": { type: "boolean", default: false },
      note: { type: "string", default: "" },
    },
    strict: true,
  });
  const list = (flag: string, text: string): number[] => [...new Set(text.split(",").filter(Boolean).map((s) => positive(flag, s)))].sort((a, b) => a - b);
  const sizes = list("--sizes", values.sizes);
  const runs = positive("--runs", values.runs);
  const budget = Number(values["budget-s"]);
  if (!Number.isFinite(budget) || budget < 0) throw new Error(`--budget-s: expected seconds (0: none), got ${values["budget-s"]}`);
  if (!/^[a-z0-9]{1,5}$/.test(values["lab-prefix"])) throw new Error("--lab-prefix: 1 to 5 characters from [a-z0-9] (a digit is appended per lab)");
  return {
    sizes,
    runs,
    ansibleRuns: values["ansible-runs"] === undefined ? runs : positive("--ansible-runs", values["ansible-runs"]),
        // Ansible at N=250 and 1000 takes minutes per run (the playbook: an hour at 1000): only on request.
    ansibleSizes: values["no-ansible"] ? [] : list("--ansible-sizes", values["ansible-sizes"] ?? "10,100"),
    ansibleScenarios: scenarios(values["ansible-scenarios"]),
    ansibleMaxForks: positive("--ansible-max-forks", values["ansible-max-forks"]),
    maxHandshakes: positive("--max-handshakes", values["max-handshakes"]),
    budgetS: budget,
    labPrefix: values["lab-prefix"],
    dir: values.dir,
    results: values.results,
    countRoundTrips: !values["no-round-trips"],
    timeoutMs: positive("--timeout-s", values["timeout-s"]) * 1000,
    keep: values.keep,
    dryResults: values["no-write"],
    note: values.note,
  };
}

function scenarios(text: string): string[] {
  const list = text.split(",").filter(Boolean);
  for (const s of list) if (!["adhoc", "facts", "deploy"].includes(s)) throw new Error(`--ansible-scenarios: unknown ${JSON.stringify(s)} (adhoc, facts, deploy)`);
  return list;
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got ${JSON.stringify(text)}`);
  return n;
}
