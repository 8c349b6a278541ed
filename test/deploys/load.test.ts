// Loading a user's .ts deploy in the built CLI's process: its `import ... from "pine"` must give the very modules
// the CLI runs (not a second copy under a tsx namespace), folder deploys and CommonJS .ts files must load, every
// file must see its own location, what esbuild cannot compile faithfully must still load (through tsx), and an
// error thrown while loading must name the file and line. Each case runs in a fresh node process on dist/
// (built by the global setup), the way bin/pine.js loads a deploy.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/cli.js";

const DIST = join(REPO_ROOT, "dist", "src");
/** Compiled deploys are cached per user: these tests use caches of their own. */
const defaultCache = mkdtempSync(join(tmpdir(), "pine-load-cache-"));
const PINE_API = pathToFileURL(join(DIST, "index.js")).href;

interface Loaded {
  /** "esbuild" (compiled), or {tsx: reason} when it fell back to tsx's hooks. */
  loader?: unknown;
  name?: string;
  /** The deploy's `files` export is the CLI's own (same module instance). */
  sameFiles?: boolean;
  extra?: unknown;
  error?: string;
  hint?: string;
}

/** Load each path with dist's loadDeploy in one node process; report what came back. */
function load(paths: string[], cacheHome = defaultCache): Loaded[] {
  const script = `
    const { loadDeploy } = await import(${JSON.stringify(pathToFileURL(join(DIST, "deploys", "load.js")).href)});
    const api = await import(${JSON.stringify(PINE_API)});
    const out = [];
    for (const path of JSON.parse(process.argv[1])) {
      try {
        const { deploy, loader } = await loadDeploy(path);
        out.push({ loader, name: deploy.name, sameFiles: deploy.files === undefined ? undefined : deploy.files === api.files, extra: deploy.extra });
      } catch (e) {
        out.push({ error: e.message, hint: e.hint });
      }
    }
    process.stdout.write(JSON.stringify(out));
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(paths)], {
    cwd: REPO_ROOT,
    env: { ...process.env, XDG_CACHE_HOME: cacheHome },
    encoding: "utf8",
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Loaded[];
}

describe("loading .ts deploys", () => {
  // Inside the package (so `import "pine"` resolves to this checkout, as for test/fixtures/deploys/site.ts); .pine/ is ignored by git.
  mkdirSync(join(REPO_ROOT, ".pine"), { recursive: true });
  const inside = mkdtempSync(join(REPO_ROOT, ".pine", "load-test-"));
  const outside = mkdtempSync(join(tmpdir(), "pine-load-nopkg-"));
  afterAll(() => {
    rmSync(defaultCache, { recursive: true, force: true });
    rmSync(inside, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });
  const write = (path: string, text: string) => {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, text);
    return path;
  };

  it("a .ts deploy importing pine by name shares the CLI's modules; a folder deploy loads its .ts helpers and JSON", () => {
    const site = write(
      join(inside, "site.ts"),
      `import { defineDeploy, files } from "pine";\nexport default { ...defineDeploy({ name: "site", async run() {} }), files };\n`,
    );
    const folder = join(inside, "folder");
    write(join(folder, "helper.ts"), `export const word: string = "from helper";\n`);
    write(join(folder, "lib", "other.ts"), `export const other = (n: number): number => n * 2;\nexport const where = [import.meta.url, import.meta.dirname, import.meta.filename];\n`);
    write(join(folder, "data.json"), `{ "port": 8080 }\n`);
    write(
      join(folder, "index.ts"),
      [
        `import { files } from "pine";`,
        `import { word } from "./helper.js";`,
        `import { other, where } from "./lib/other";`,
        `import data from "./data.json" with { type: "json" };`,
        `const lazy = await import("./helper.js");`,
        `export default { name: "folder", run: async () => {}, files, extra: [word, other(21), data.port, lazy.word, import.meta.url, where] };`,
        ``,
      ].join("\n"),
    );
    const [a, b, again] = load([site, join(folder, "index.ts"), site]);
    expect(a).toEqual({ loader: "esbuild", name: "site", sameFiles: true });
    expect(b).toEqual({
      loader: "esbuild",
      name: "folder",
      sameFiles: true,
      extra: [
        "from helper",
        42,
        8080,
        "from helper",
        pathToFileURL(join(folder, "index.ts")).href,
        [pathToFileURL(join(folder, "lib", "other.ts")).href, join(folder, "lib"), join(folder, "lib", "other.ts")],
      ],
    });
    expect(again).toEqual({ loader: "esbuild (cached)", name: "site", sameFiles: true });
  });

  it("what esbuild cannot follow statically (a computed import()) loads through tsx, still sharing pine", () => {
    write(join(inside, "computed", "part.ts"), `export const part: string = "part";\n`);
    const entry = write(
      join(inside, "computed", "index.ts"),
      `import { files } from "pine";\nconst spec = ["./part", "ts"].join(".");\nconst { part } = await import(spec);\nexport default { name: "computed", run: async () => {}, files, extra: part };\n`,
    );
    const [r] = load([entry]);
    expect(r).toMatchObject({ name: "computed", sameFiles: true, extra: "part", loader: { tsx: expect.stringContaining("import(") } });
  });

  it("a .ts file outside any ESM package (__dirname, extensionless import) and a CommonJS one (require, module.exports) share pine", () => {
    write(join(outside, "helper.ts"), `export const helper: string = "-h";\n`);
    const site = write(
      join(outside, "site.ts"),
      `import { defineDeploy, files } from "${PINE_API}";\nimport { helper } from "./helper";\nconst here: string = __dirname;\nexport default { ...defineDeploy({ name: "plain" + helper, async run() {} }), files, extra: here };\n`,
    );
    const cjs = write(
      join(outside, "cjs.ts"),
      `const pine = require(${JSON.stringify(join(DIST, "index.js"))});\nconst { helper } = require("./helper");\nmodule.exports = { name: "cjs" + helper, run: async () => {}, files: pine.files, extra: __filename };\n`,
    );
    expect(load([site, cjs])).toEqual([
      { loader: "esbuild", name: "plain-h", sameFiles: true, extra: outside },
      { loader: "esbuild", name: "cjs-h", sameFiles: true, extra: cjs },
    ]);
  });

  it("a compiled deploy is reused while its files are unchanged; an edit, or a new file where it resolves, rebuilds it", () => {
    const cache = mkdtempSync(join(tmpdir(), "pine-load-cache-"));
    try {
      const dir = join(inside, "cached");
      write(join(dir, "lib", "value.ts"), `export const value: number = 1;\n`);
      const entry = write(join(dir, "index.ts"), `import { value } from "./lib/value";\nexport default { name: "cached", run: async () => {}, extra: value };\n`);
      const loaded = () => load([entry], cache)[0];
      expect(loaded()).toEqual({ loader: "esbuild", name: "cached", extra: 1 });
      expect(loaded()).toEqual({ loader: "esbuild (cached)", name: "cached", extra: 1 });
      write(join(dir, "lib", "value.ts"), `export const value: number = 2;\n`);
      expect(loaded()).toEqual({ loader: "esbuild", name: "cached", extra: 2 });
      expect(loaded()).toEqual({ loader: "esbuild (cached)", name: "cached", extra: 2 });
      // esbuild prefers value.tsx to value.ts: a file that changes what "./lib/value" means must not be missed
      write(join(dir, "lib", "value.tsx"), `export const value: number = 3;\n`);
      expect(loaded()).toEqual({ loader: "esbuild", name: "cached", extra: 3 });
      expect(readdirSync(join(cache, "pine", "deploys")).filter((f) => f.endsWith(".json"))).toHaveLength(1);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("a deploy that throws while loading, or does not compile: the error names the file and line", () => {
    const bad = write(join(inside, "throws.mts"), `const settings: string | undefined = undefined;\nif (!settings) {\n  throw new Error("no settings");\n}\nexport default async function () {}\n`);
    const broken = write(join(inside, "broken.ts"), `export default async function () {\n  const x: number = ;\n}\n`);
    const [r, s] = load([bad, broken]);
    expect(r!.error).toContain(`could not load deploy file ${bad}: no settings`);
    expect(r!.hint).toBe(`at ${bad}:3:9`);
    expect(s!.error).toContain(`could not load deploy file ${broken}`);
    expect(s!.error).toContain(`${broken}:2:20`);
  });
});
