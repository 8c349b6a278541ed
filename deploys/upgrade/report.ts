// The rollout's final report, for people: per host where it was, where it is now and how it got there, then the
// totals and the most hosts that were down at once.
import type { HostRecord, Outcome } from "./rollout.js";

export interface ReportInput {
  /** Hosts in inventory order. */
  hosts: readonly string[];
  records: ReadonlyMap<string, HostRecord>;
  /** Why hosts the runner never started were not started (budget, interrupt), by host. */
  notStarted: ReadonlyMap<string, string>;
  /** Errors of hosts that failed before the deploy knew them (e.g. could not connect), by host. */
  errors: ReadonlyMap<string, string>;
  lockLabel: string;
  maxDown: number;
  mostDown: number;
  dry: boolean;
}

const seconds = (ms: number | undefined) => (ms === undefined ? "" : `${(ms / 1000).toFixed(1)}s`);

export function formatReport(input: ReportInput): string {
  const counts = new Map<string, number>();
  const rows = input.hosts.map((host) => {
    const record = input.records.get(host);
    const outcome: Outcome | "not started" = record?.outcome ?? (input.notStarted.has(host) ? "not started" : "failed");
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    const from = record?.from?.name ?? "-";
    const to = record?.to?.name ?? "-";
    const path = outcome === "upgraded" || outcome === "planned" ? `${from} → ${to}` : outcome === "skipped" ? to : from;
    const why = record?.detail ?? input.notStarted.get(host) ?? input.errors.get(host)?.split("\n")[0] ?? "";
    const time = outcome === "upgraded" || outcome === "rolled back" ? `down ${seconds(record?.downMs)} of ${seconds(record?.ms)}` : "";
    return [host, path, outcome, time, why];
  });
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => `  ${r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell)).join("  ")}`.trimEnd());
  const order: Array<Outcome | "not started"> = ["upgraded", "planned", "skipped", "rolled back", "failed", "not upgraded", "not started"];
  const totals = order.filter((o) => counts.has(o)).map((o) => `${counts.get(o)} ${o}`);
  const head = input.dry ? "upgrade plan (dry run: nothing was changed)" : "upgrade report";
  const lock = input.dry ? `reboot lock ${input.lockLabel}, at most ${input.maxDown} down` : `most hosts down at once: ${input.mostDown} (at most ${input.maxDown} allowed, lock ${input.lockLabel})`;
  return [`${head}:`, ...lines, `${totals.join(", ")}; ${lock}`].join("\n");
}
