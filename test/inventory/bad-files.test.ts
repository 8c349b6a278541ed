// Every test/fixtures/inventory/bad-*.yaml must fail with a UsageError saying what its header promises.
//   # expect: text the message must contain (repeatable)
//   # absent: text the message must NOT contain (secrets; repeatable)
//   # at: LINE or LINE:COL the message must point at
// Adding a case is adding a file.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadInventory } from "../../src/inventory/index.js";
import { FIXTURES, fixture, usageError } from "./fixtures.js";

interface Case {
  file: string;
  expect: string[];
  absent: string[];
  at?: string;
}

function readCase(file: string): Case {
  const header = readFileSync(fixture(file), "utf8").split("\n").filter((line) => line.startsWith("#"));
  const values = (tag: string) =>
    header.filter((line) => line.startsWith(`# ${tag}:`)).map((line) => line.slice(`# ${tag}:`.length).trim());
  return { file, expect: values("expect"), absent: values("absent"), at: values("at")[0] };
}

const cases = readdirSync(FIXTURES).filter((f) => /^bad-.*\.ya?ml$/.test(f)).sort().map(readCase);

describe("bad inventory files", () => {
  it("has cases, each with an expectation", () => {
    expect(cases.length).toBeGreaterThan(30);
    for (const c of cases) expect(c.expect, c.file).not.toHaveLength(0);
  });

  it.each(cases)("$file", (c) => {
    const path = `test/fixtures/inventory/${c.file}`;
    const error = usageError(() => loadInventory(path));
    for (const text of c.expect) expect(error.message).toContain(text);
    for (const text of c.absent) expect(error.message).not.toContain(text);
    // The message names the file (as the user gave it), and the line (and column) when the header says.
    expect(error.message.startsWith(path)).toBe(true);
    if (c.at) expect(error.message).toContain(`${path}:${c.at}:`);
    // Written for a person: one short paragraph, no stack frames.
    expect(error.message).not.toMatch(/\n\s+at /);
    expect(error.describe()).not.toMatch(/\n\s+at /);
  });
});
