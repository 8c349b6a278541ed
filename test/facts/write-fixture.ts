// Writes one fixture case from a fact's real output: CASE.stdout/.stderr/.exit/.args.json, then the parse result as
// CASE.json or CASE.unavailable for the person capturing to check by eye. Shared by capture.ts and capture-lab.ts.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FactUnavailable, type Fact, type FactOutput } from "../../src/facts/define.js";
import { FIXTURES } from "./fixture-cases.js";

export function writeFixture(fact: Fact<unknown>, family: boolean, caseName: string, output: FactOutput): string {
  const dir = join(FIXTURES, fact.name);
  mkdirSync(dir, { recursive: true });
  const base = join(dir, caseName);
  writeFileSync(`${base}.stdout`, output.stdout);
  if (output.stderr) writeFileSync(`${base}.stderr`, output.stderr);
  if (output.exitCode !== 0) writeFileSync(`${base}.exit`, `${output.exitCode ?? "none"}\n`);
  if (family) writeFileSync(`${base}.args.json`, `${JSON.stringify(fact.args)}\n`);
  try {
    const value = asJson(fact.parse(output));
    writeFileSync(`${base}.json`, `${JSON.stringify(value, null, 2)}\n`);
    return JSON.stringify(value, null, 2);
  } catch (e) {
    if (!(e instanceof FactUnavailable)) throw e;
    writeFileSync(`${base}.unavailable`, `${e.reason}\n`);
    return `unavailable: ${e.reason}`;
  }
}

/** Fixtures are JSON: a Map is written as an object, bytes as {"base64": "..."}. */
export function asJson(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
      const raw = key === "" ? value : (this as Record<string, unknown>)[key];
      if (raw instanceof Map) return Object.fromEntries(raw);
      if (raw instanceof Uint8Array) return { base64: Buffer.from(raw).toString("base64") };
      return v;
    }),
  ) as unknown;
}
