#!/usr/bin/env node
// Replace each compiled dist/src/vendor/*.js by an esbuild bundle of the package it re-exports, so that loading it
// costs one file instead of dozens (why: src/vendor/README.md). Run by `npm run build` after tsc, and by the
// benchmark and the test set-up on their own build directories.
//
//   node scripts/bundle-vendor.mjs [DIST]      (default: dist)
import { readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = resolve(process.argv[2] ?? join(root, "dist"));
const vendorDir = join(dist, "src", "vendor");
let files;
try {
  files = readdirSync(vendorDir).filter((f) => f.endsWith(".js"));
} catch (error) {
  console.error(`bundle-vendor: no ${vendorDir} (run tsc first): ${error.message}`);
  process.exit(1);
}
for (const file of files) {
  rmSync(join(vendorDir, `${file}.map`), { force: true }); // tsc's map describes the re-export, not the bundle
  const path = join(vendorDir, file);
  const before = statSync(path).size;
  await build({
    entryPoints: [path],
    outfile: path,
    allowOverwrite: true,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // The packages are found from pine's own node_modules, wherever DIST is.
    nodePaths: [join(root, "node_modules")],
    absWorkingDir: root,
    logLevel: "warning",
    legalComments: "inline",
    // CommonJS inside an ES module bundle needs a `require` for Node's builtins.
    banner: { js: `import { createRequire as __pineVendorRequire } from "node:module"; const require = __pineVendorRequire(import.meta.url);` },
  });
  if (statSync(path).size <= before) {
    console.error(`bundle-vendor: ${path} did not grow into a bundle`);
    process.exit(1);
  }
}
