import { describe, expect, it } from "vitest";
import { parseBatchPlan, parseFailureBudget, splitIntoBatches } from "../../src/runner/batches.js";

describe("rolling batch plans", () => {
  const hosts = Array.from({ length: 10 }, (_, i) => `h${i + 1}`);

  it("canary first, then percentages of the whole, last size repeating", () => {
    expect(splitIntoBatches(hosts, parseBatchPlan("1,25%,100%")).map((b) => b.length)).toEqual([1, 3, 6]);
    expect(splitIntoBatches(hosts, parseBatchPlan("2")).map((b) => b.length)).toEqual([2, 2, 2, 2, 2]);
    expect(splitIntoBatches(hosts, parseBatchPlan([1, "50%"])).flat()).toEqual(hosts);
    expect(splitIntoBatches(["a"], parseBatchPlan("10%"))).toEqual([["a"]]);
  });

  it("refuses sizes that are not counts or percentages", () => {
    for (const bad of ["", "0", "abc", "150%", "1,,x"]) expect(() => parseBatchPlan(bad)).toThrow(/batch|empty/);
  });

  it("failure budgets count hosts or a percentage of them", () => {
    expect(parseFailureBudget(undefined, 10)).toBe(Infinity);
    expect(parseFailureBudget("0", 10)).toBe(0);
    expect(parseFailureBudget("25%", 10)).toBe(2);
    expect(() => parseFailureBudget("x", 10)).toThrow(/--max-fail/);
  });
});
