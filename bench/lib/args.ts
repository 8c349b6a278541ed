// Command-line options of the benchmark: `--sizes 10,50,100 --runs 3 ...`, validated up front.
import { parseArgs } from "node:util";

export interface BenchOptions {
  sizes: number[];
  runs: number;
  maxHandshakes: number;
  lab: string;
  dir: string;
  results: string;
  /** Count exec channels per host with strace on the smallest lab (a separate, untimed run). */
  countRoundTrips: boolean;
  /** Per child process (one pine or floor run), in ms. */
  timeoutMs: number;
  /** Leave the lab up at the end (for poking at it). */
  keep: boolean;
  /** Write the table to stdout only, not into RESULTS.md. */
  dryResults: boolean;
}

export const FACTS = ["server.hostname", "server.distro", "server.kernel", "net.addresses", "block.devices"];

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: "string", default: "10,50,100" },
      runs: { type: "string", default: "3" },
      "max-handshakes": { type: "string", default: "20" },
      lab: { type: "string", default: "bench" },
      dir: { type: "string", default: "/tmp/pine-bench-lab" },
      results: { type: "string", default: new URL("../RESULTS.md", import.meta.url).pathname },
      "no-round-trips": { type: "boolean", default: false },
      "timeout-s": { type: "string", default: "180" },
      keep: { type: "boolean", default: false },
      "no-write": { type: "boolean", default: false },
    },
    strict: true,
  });
  const sizes = values.sizes.split(",").map((s) => positive("--sizes", s));
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    runs: positive("--runs", values.runs),
    maxHandshakes: positive("--max-handshakes", values["max-handshakes"]),
    lab: values.lab,
    dir: values.dir,
    results: values.results,
    countRoundTrips: !values["no-round-trips"],
    timeoutMs: positive("--timeout-s", values["timeout-s"]) * 1000,
    keep: values.keep,
    dryResults: values["no-write"],
  };
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got ${JSON.stringify(text)}`);
  return n;
}
