// Every fact a module under facts/ defines is in factRegistry (so `pine facts` knows it, and the fixture and live
// tests cover it), under its own name, as the very object the module exports.
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { factName, factRegistry, type AnyFact } from "../../facts/index.js";

const FACTS_DIR = fileURLToPath(new URL("../../facts/", import.meta.url));

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? modules(join(dir, e.name)) : e.name.endsWith(".ts") && e.name !== "index.ts" ? [join(dir, e.name)] : [],
  );
}

function isFact(value: unknown): value is AnyFact {
  if (typeof value === "function") return typeof (value as { factName?: unknown }).factName === "string";
  return typeof value === "object" && value !== null && "key" in value && "command" in value && typeof (value as { parse?: unknown }).parse === "function";
}

describe("fact registry", () => {
  it("holds every fact defined under facts/", async () => {
    const defined: string[] = [];
    for (const file of modules(FACTS_DIR)) {
      const exports = (await import(file)) as Record<string, unknown>;
      for (const [exported, value] of Object.entries(exports)) {
        if (!isFact(value)) continue;
        const name = factName(value);
        defined.push(name);
        expect(factRegistry.get(name), `${relative(FACTS_DIR, file)} exports ${exported} (${name})`).toBe(value);
      }
    }
    expect(new Set(defined).size).toBe(factRegistry.size);
  });

  it("names each fact namespace.name, with a namespace facts/index.ts exports", () => {
    for (const name of factRegistry.keys()) expect(name).toMatch(/^(server|net|block|files|boot|kernel|packages|ostree|pine|services|busybox)\.[A-Za-z0-9_]+$/);
  });
});
