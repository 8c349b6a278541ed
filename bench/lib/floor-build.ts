// The floor runs as plain JS under node, like pine's dist/, so neither pays for a TypeScript loader. Written into
// bench/out, inside the checkout, so its imports resolve to node_modules.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const BENCH = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Transpile bench/floor.ts to bench/out/floor.js; returns its path. */
export function buildFloor(): string {
  const source = readFileSync(join(BENCH, "floor.ts"), "utf8");
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  const out = join(BENCH, "out");
  mkdirSync(out, { recursive: true });
  const path = join(out, "floor.js");
  writeFileSync(path, outputText);
  return path;
}
