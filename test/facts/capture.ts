// Capture a fixture from this machine: `npx tsx test/facts/capture.ts FACT CASE [dash|busybox|busybox-only] [ARGS_JSON]`.
// Writes CASE.stdout/.stderr/.exit (and .args.json), then the parse result as CASE.json or CASE.unavailable for you to check by eye.
// For a lab host (Debian under systemd, busybox-only) use capture-lab.ts.
import { factRegistry, isFactFamily } from "../../facts/index.js";
import { runCommand, type ShellVariant } from "./local-shell.js";
import { writeFixture } from "./write-fixture.js";

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
console.log(writeFixture(fact, isFactFamily(entry), caseName, output));
