// Loading a user's .ts deploy in the built CLI's process: its `import ... from "pine"` must give the very modules
// the CLI runs (not a second copy under a tsx namespace), folder deploys and CommonJS .ts files must load, and
// an error thrown while loading must name the file and line. Each case runs in a fresh node process on dist/
// (built by the global setup), the way bin/pine.js loads a deploy.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/cli.js";

const DIST = join(REPO_ROOT, "dist", "src");
const PINE_API = pathToFileURL(join(DIST, "index.js")).href;

interface Loaded {
  name?: string;
  /** The deploy's `files` export is the CLI's own (same module instance). */
  sameFiles?: boolean;
  extra?: unknown;
  error?: string;
  hint?: string;
}

/** Load each path with dist's loadDeploy in one node process; report what came back. */
function load(paths: string[], cwd = REPO_ROOT): Loaded[] {
  const script = `
    const { loadDeploy } = await import(${JSON.stringify(pathToFileURL(join(DIST, "deploys", "load.js")).href)});
    const api = await import(${JSON.stringify(PINE_API)});
    const out = [];
    for (const path of JSON.parse(process.argv[1])) {
      try {
        const { deploy } = await loadDeploy(path);
        out.push({ name: deploy.name, sameFiles: deploy.files === undefined ? undefined : deploy.files === api.files, extra: deploy.extra });
      } catch (e) {
        out.push({ error: e.message, hint: e.hint });
      }
    }
    process.stdout.write(JSON.stringify(out));
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(paths)], { cwd, encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Loaded[];
}

describe("loading .ts deploys", () => {
  // Inside the package (so `import "pine"` resolves to this checkout, as for test/fixtures/deploys/site.ts); .pine/ is ignored by git.
  mkdirSync(join(REPO_ROOT, ".pine"), { recursive: true });
  const inside = mkdtempSync(join(REPO_ROOT, ".pine", "load-test-"));
  const outside = mkdtempSync(join(tmpdir(), "pine-load-nopkg-"));
  afterAll(() => {
    rmSync(inside, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });
  const write = (path: string, text: string) => {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, text);
    return path;
  };

  it("a .ts deploy importing pine by name shares the CLI's modules; a folder deploy loads its .ts helpers", () => {
    const site = write(
      join(inside, "site.ts"),
      `import { defineDeploy, files } from "pine";\nexport default { ...defineDeploy({ name: "site", async run() {} }), files };\n`,
    );
    const folder = join(inside, "folder");
    write(join(folder, "helper.ts"), `export const word: string = "from helper";\n`);
    write(join(folder, "other.ts"), `export const other = (n: number): number => n * 2;\n`);
    write(
      join(folder, "index.ts"),
      `import { files } from "pine";\nimport { word } from "./helper.js";\nimport { other } from "./other";\nexport default { name: "folder", run: async () => {}, files, extra: [word, other(21)] };\n`,
    );
    const [a, b, again] = load([site, join(folder, "index.ts"), site]);
    expect(a).toEqual({ name: "site", sameFiles: true });
    expect(b).toEqual({ name: "folder", sameFiles: true, extra: ["from helper", 42] });
    expect(again).toEqual({ name: "site", sameFiles: true });
  });

  // tsx's require hook compiles the ESM files such a deploy requires into CommonJS, so it still gets its own copy of
  // pine (as it did before; PineError's hasInstance copes): only loading is checked here.
  it("a .ts file outside any ESM package loads as CommonJS (__dirname, extensionless import)", () => {
    write(join(outside, "helper.ts"), `export const helper: string = "-h";\n`);
    const site = write(
      join(outside, "site.ts"),
      `import { defineDeploy, files } from "${PINE_API}";\nimport { helper } from "./helper";\nconst here: string = __dirname;\nexport default { ...defineDeploy({ name: "plain" + helper, async run() {} }), files, extra: here };\n`,
    );
    expect(load([site])).toEqual([expect.objectContaining({ name: "plain-h", extra: outside })]);
  });

  it("a deploy that throws while loading: the error names the file and line", () => {
    const bad = write(join(inside, "throws.mts"), `const settings: string | undefined = undefined;\nif (!settings) {\n  throw new Error("no settings");\n}\nexport default async function () {}\n`);
    const [r] = load([bad]);
    expect(r!.error).toContain(`could not load deploy file ${bad}: no settings`);
    expect(r!.hint).toBe(`at ${bad}:3:9`);
  });
});
