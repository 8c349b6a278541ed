// Capture a fixture from this machine: `npx tsx test/facts/capture.ts FACT CASE [dash|busybox|busybox-only] [ARGS_JSON]`.
// Writes CASE.stdout/.stderr/.exit (and .args.json), then the parse result as CASE.json or CASE.unavailable for you to check by eye.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FactUnavailable } from "../../src/facts/define.js";
import { factRegistry, isFactFamily } from "../../facts/index.js";
import { FIXTURES } from "./fixture-cases.js";
import { runCommand, type ShellVariant } from "./local-shell.js";

const [name, caseName, variant = "dash", argsJson] = process.argv.slice(2);
const entry = name ? factRegistry.get(name) : undefined;
if (!entry || !caseName) {
  console.error(`usage: capture.ts FACT CASE [dash|busybox|busybox-only] [ARGS_JSON]\nfacts: ${[...factRegistry.keys()].join(" ")}`);
  process.exit(2);
}
const args = argsJson ? (JSON.parse(argsJson) as unknown[]) : [];
const fact = isFactFamily(entry) ? entry(...args) : entry;
// CAPTURE_PATH=... overrides PATH, e.g. a dir without `ip` to capture the ifconfig fallback.
const output = runCommand(fact.command, variant as ShellVariant, process.env.CAPTURE_PATH ? { path: process.env.CAPTURE_PATH } : {});
const dir = join(FIXTURES, name!);
mkdirSync(dir, { recursive: true });
const base = join(dir, caseName);
writeFileSync(`${base}.stdout`, output.stdout);
if (output.stderr) writeFileSync(`${base}.stderr`, output.stderr);
if (output.exitCode !== 0) writeFileSync(`${base}.exit`, `${output.exitCode ?? "none"}\n`);
if (isFactFamily(entry)) writeFileSync(`${base}.args.json`, `${JSON.stringify(args)}\n`);
try {
  const value = asJson(fact.parse(output));
  writeFileSync(`${base}.json`, `${JSON.stringify(value, null, 2)}\n`);
  console.log(JSON.stringify(value, null, 2));
} catch (e) {
  if (!(e instanceof FactUnavailable)) throw e;
  writeFileSync(`${base}.unavailable`, `${e.reason}\n`);
  console.log(`unavailable: ${e.reason}`);
}

function asJson(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
      const raw = key === "" ? value : (this as Record<string, unknown>)[key];
      if (raw instanceof Map) return Object.fromEntries(raw);
      if (raw instanceof Uint8Array) return { base64: Buffer.from(raw).toString("base64") };
      return v;
    }),
  ) as unknown;
}
