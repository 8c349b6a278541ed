// One test per fixture case: a fact's parser on captured output must give the expected value or the expected "unavailable" reason.
import { describe, expect, it } from "vitest";
import { FactUnavailable } from "../../src/facts/define.js";
import { factRegistry, isFactFamily } from "../../facts/index.js";
import { asJson, loadCases } from "./fixture-cases.js";

const cases = loadCases();

describe("fact fixtures", () => {
  it("has fixtures for every registered fact", () => {
    const covered = new Set(cases.map((c) => c.fact));
    expect([...factRegistry.keys()].filter((name) => !covered.has(name))).toEqual([]);
  });

  for (const c of cases) {
    it(`${c.fact} / ${c.name}`, () => {
      const entry = factRegistry.get(c.fact);
      if (!entry) throw new Error(`fixture directory "${c.fact}" names no fact in factRegistry`);
      if (isFactFamily(entry) && !c.args) throw new Error(`${c.fact} takes arguments: add ${c.name}.args.json`);
      const fact = isFactFamily(entry) ? entry(...(c.args ?? [])) : entry;
      if ("value" in c.expected) {
        expect(asJson(fact.parse(c.output))).toEqual(c.expected.value);
      } else {
        let thrown: unknown;
        try {
          fact.parse(c.output);
        } catch (e) {
          thrown = e;
        }
        expect(thrown, "expected FactUnavailable").toBeInstanceOf(FactUnavailable);
        expect((thrown as FactUnavailable).reason).toContain(c.expected.unavailable);
      }
    });
  }
});
