// Writes one fixture case from a fact's real output: CASE.stdout/.stderr/.exit/.args.json, then the parse result as
// CASE.json or CASE.unavailable for the person capturing to check by eye. Shared by capture.ts and capture-lab.ts.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FactUnavailable, type Fact, type FactOutput } from "../../src/facts/define.js";
import { FIXTURES, asJson } from "./fixture-cases.js";

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
