// Reads the fixture tree test/fixtures/facts/<fact name>/<case>.{stdout,stderr,exit,args.json,json,unavailable,source}.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FactOutput } from "../../src/facts/define.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "facts");

export interface FixtureCase {
  fact: string;
  name: string;
  output: FactOutput;
  args: unknown[] | undefined;
  expected: { value: unknown } | { unavailable: string };
  source: string | undefined;
}

export function loadCases(root = FIXTURES): FixtureCase[] {
  const cases: FixtureCase[] = [];
  for (const fact of readdirSync(root).sort()) {
    const dir = join(root, fact);
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith(".stdout")) continue;
      const base = join(dir, file.slice(0, -".stdout".length));
      const read = (ext: string) => (existsSync(base + ext) ? readFileSync(base + ext, "utf8") : undefined);
      const exit = read(".exit")?.trim();
      const json = read(".json");
      const unavailable = read(".unavailable");
      if (json === undefined && unavailable === undefined) throw new Error(`${base}: needs a .json (expected value) or .unavailable (expected reason)`);
      cases.push({
        fact,
        name: file.slice(0, -".stdout".length),
        output: { stdout: read(".stdout")!, stderr: read(".stderr") ?? "", exitCode: exit === undefined ? 0 : exit === "none" ? null : Number(exit) },
        args: read(".args.json") === undefined ? undefined : (JSON.parse(read(".args.json")!) as unknown[]),
        expected: json !== undefined ? { value: JSON.parse(json) as unknown } : { unavailable: unavailable!.trim() },
        source: read(".source"),
      });
    }
  }
  return cases;
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
