#!/usr/bin/env node
// Bundle pine's entry points over tsc's output in DIST (default dist): the CLI, the API that deploys import as
// "pine", and the shipped deploys, with their shared code (and the pure-JS packages) in chunks every entry shares, so
// each module exists once however it is reached. Node 20's ESM loader pays per file: pine's ~150 modules and yargs's
// and yaml's ~100 cost ~100 ms of every start-up; a few chunks cost a few. tsc's per-file output stays beside them
// (the .d.ts files are the API's types). Run by `npm run build` after tsc, by the test set-up and by the benchmark.
//
//   node scripts/bundle.mjs [DIST]
import { existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = resolve(process.argv[2] ?? join(root, "dist"));
if (!existsSync(join(dist, "src", "cli", "main.js"))) {
  console.error(`bundle: ${dist} holds no tsc build (run tsc first)`);
  process.exit(1);
}
const deploys = readdirSync(join(root, "deploys"), { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? (existsSync(join(root, "deploys", e.name, "index.ts")) ? [`deploys/${e.name}/index.ts`] : []) : e.name.endsWith(".ts") ? [`deploys/${e.name}`] : [],
);
const entryPoints = ["src/cli/main.ts", "src/index.ts", ...deploys];
rmSync(join(dist, "chunks"), { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints,
  outdir: dist,
  outbase: root,
  bundle: true,
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  format: "esm",
  platform: "node",
  target: "node20",
  // ssh2 loads optional native bindings by relative path; esbuild and tsx run their own files: left as packages.
  external: ["ssh2", "esbuild", "tsx"],
  sourcemap: "linked",
  logLevel: "warning",
  metafile: true,
  // CommonJS packages inside ES module chunks need a `require` for Node's builtins.
  banner: { js: `import { createRequire as __pineRequire } from "node:module"; const require = __pineRequire(import.meta.url);` },
});
const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js"));
console.error(`bundle: ${entryPoints.length} entries, ${outputs.length} files in ${relative(root, dist) || "."}`);
