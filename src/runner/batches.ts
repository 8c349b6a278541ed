// Rolling plans: split hosts into batches like [1, "25%", "100%"] and count a failure budget.
import { UsageError } from "../errors.js";

export type BatchSize = number | `${number}%`;

/** Parse "1,25%,100%" (or an array) into batch sizes; refuse anything else with a clear message. */
export function parseBatchPlan(plan: string | readonly (string | number)[]): BatchSize[] {
  const parts = typeof plan === "string" ? plan.split(",").map((p) => p.trim()).filter(Boolean) : plan.map(String);
  if (parts.length === 0) throw new UsageError("the batch plan is empty: give sizes like 1,25%,100%");
  return parts.map((part) => {
    const m = /^(\d+)(%?)$/.exec(part);
    if (!m || Number(m[1]) === 0 || (m[2] && Number(m[1]) > 100)) {
      throw new UsageError(`batch size "${part}" is not a positive count or a percentage (1-100%): write it like 1,25%,100%`);
    }
    return m[2] ? (`${Number(m[1])}%` as const) : Number(m[1]);
  });
}

/**
 * Cut items into batches. A percentage is of the whole host count (rounded up, at least 1); the
 * last size repeats until every host has a batch, as Ansible's `serial` does.
 */
export function splitIntoBatches<T>(items: readonly T[], plan: readonly BatchSize[]): T[][] {
  const batches: T[][] = [];
  let index = 0;
  let step = 0;
  while (index < items.length) {
    const size = plan[Math.min(step, plan.length - 1)]!;
    const count = typeof size === "number" ? size : Math.max(1, Math.ceil((items.length * parseFloat(size)) / 100));
    batches.push(items.slice(index, index + count));
    index += count;
    step++;
  }
  return batches;
}

/** A failure budget: "3" hosts or "10%" of all hosts; the run stops starting batches once it is exceeded. */
export function parseFailureBudget(value: string | number | undefined, total: number): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  const text = String(value).trim();
  const m = /^(\d+)(%?)$/.exec(text);
  if (!m) throw new UsageError(`--max-fail "${text}" is not a count or a percentage: write it like 0, 3 or 10%`);
  return m[2] ? Math.floor((total * Number(m[1])) / 100) : Number(m[1]);
}
