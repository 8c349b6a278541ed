#!/usr/bin/env node
// pine's command line: runs the compiled CLI (npm run build writes dist/).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// `pine --version` answers without loading the CLI (scripts call it to probe for pine).
if (process.argv.length === 3 && (process.argv[2] === "--version" || process.argv[2] === "-V")) {
  const { readFileSync } = await import("node:fs");
  process.stdout.write(`${JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version}\n`);
  process.exit(0);
}

const main = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("pine is not built yet: run `npm run build` in the pine checkout first.\n");
  process.exit(2);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
