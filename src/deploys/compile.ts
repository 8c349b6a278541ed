// Compile a user's TypeScript deploy (and the .ts/.js files it imports) into one ES module with esbuild, so loading
// it needs no loader hooks: registering tsx's hooks starts a worker thread and loads tsx twice, ~0.13 s of CPU and
// 0.1-0.2 s of wall time per run, more than the rest of a small deploy. Packages stay outside the bundle, imported
// by the absolute URL Node would resolve them to, so `import ... from "pine"` is the very module the CLI runs.
// Compiled modules are cached per user and reused while the files they were built from are unchanged (esbuild's
// start-up is ~0.05 s of CPU and up to 0.1 s of wall time).
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Plugin } from "esbuild";
import { PINE_ROOT } from "../package-root.js";

/**
 * The deploy as one module, to import from `outFile` (its inline source map's paths are relative to that directory),
 * with what the build depended on (for the cache); or why it is better loaded through tsx's hooks.
 */
export type CompileResult = { ok: true; code: string; depends: Depends } | { ok: false; reason: string };

/** Files bundled (with the sha256 of the bytes compiled), directories resolved in (with their mtime before: a new file there could resolve differently), files left external. */
export interface Depends {
  inputs: Array<[path: string, sha256: string | undefined]>;
  dirs: Array<[path: string, mtimeMs: number]>;
  externals: string[];
}


/** A JavaScript file the CLI's own module graph may hold: pine's package or any package in node_modules. */
function isShared(path: string): boolean {
  if (!/\.(?:[cm]?js|node)$/.test(path)) return false;
  return path.startsWith(`${PINE_ROOT}/`) || path.includes("/node_modules/");
}

/** Marks the calls this plugin makes to esbuild's own resolver, so it does not intercept them again. */
const INNER = Symbol("pine-inner-resolve");

/**
 * Bundle `entry` for `outFile` (the source map's paths are relative to its directory). Compiled only when the result
 * means the same as loading the files one by one: every file gets its own import.meta.url / dirname / filename and
 * __dirname / __filename; anything esbuild cannot follow statically (a computed import() or require, other
 * import.meta uses) or any build error means { ok: false } and the caller loads the file through tsx as before.
 */
export async function compileDeploy(entry: string, outFile: string): Promise<CompileResult> {
  const esbuild = await import("esbuild");
  const unsupported: string[] = [];
  const inputs = new Map<string, string | undefined>([[entry, undefined]]);
  const dirs = new Map<string, number>();
  const seeDir = (dir: string) => {
    if (dirs.has(dir)) return;
    try {
      dirs.set(dir, statSync(dir).mtimeMs);
    } catch {
      dirs.set(dir, -1); // absent: must still be absent
    }
  };
  seeDir(dirname(entry));
  const externals = new Set<string>();
  const plugin: Plugin = {
    name: "pine-deploy",
    setup(build) {
      // What the CLI may have loaded itself (pine's own package, anything in node_modules) stays external, imported by
      // the URL (import) or path (require) esbuild's node-style resolver finds for it: one module instance, not a
      // bundled copy. The deploy's own files (.ts, .js, .json outside those) are bundled.
      build.onResolve({ filter: /.*/ }, async (args) => {
        if ((args.pluginData as { [INNER]?: boolean } | undefined)?.[INNER]) return undefined;
        if (args.kind === "entry-point") return undefined;
        if (/^[a-z][a-z0-9+.-]+:/i.test(args.path)) return { path: args.path, external: true }; // node:, file:, data:
        // Where the candidates are looked for (before resolving): the importer's directory, a relative path's own.
        if (args.resolveDir) seeDir(args.resolveDir);
        if (args.resolveDir && /^\.\.?\//.test(args.path)) seeDir(dirname(resolve(args.resolveDir, args.path)));
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { [INNER]: true } });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        if (resolved.external || !resolved.path.startsWith("/")) return { path: args.path, external: true }; // a Node builtin
        seeDir(dirname(resolved.path));
        if (!isShared(resolved.path)) {
          if (!inputs.has(resolved.path)) inputs.set(resolved.path, undefined);
          return { path: resolved.path };
        }
        externals.add(resolved.path);
        const asPath = args.kind === "require-call" || args.kind === "require-resolve";
        return { path: asPath ? resolved.path : pathToFileURL(resolved.path).href, external: true };
      });
      // The deploy's own files: each compiled alone first, with its own location filled in.
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        const bytes = readFileSync(args.path);
        inputs.set(args.path, createHash("sha256").update(bytes).digest("hex"));
        const source = bytes.toString("utf8");
        const dir = dirname(args.path);
        const result = await esbuild.transform(source, {
          loader: /\.[cm]?tsx?$/.test(args.path) ? (args.path.endsWith("x") ? "tsx" : "ts") : args.path.endsWith("x") ? "jsx" : "js",
          sourcefile: args.path,
          sourcemap: "inline",
          target: "node20",
          define: {
            "import.meta.url": JSON.stringify(pathToFileURL(args.path).href),
            "import.meta.filename": JSON.stringify(args.path),
            "import.meta.dirname": JSON.stringify(dir),
            __filename: JSON.stringify(args.path),
            __dirname: JSON.stringify(dir),
          },
        });
        if (result.code.includes("import.meta")) unsupported.push(`${args.path} uses import.meta beyond url, dirname and filename`);
        return { contents: result.code, loader: "js" };
      });
    },
  };
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      // Node's conditions and fields, not a bundler's ("module").
      conditions: [],
      mainFields: ["main"],
      sourcemap: "inline",
      write: false,
      outfile: outFile,
      logLevel: "silent",
      plugins: [plugin],
      // `require` for CommonJS files (external packages, require(esm) included), relative to the deploy file.
      banner: { js: `import { createRequire as __pineCreateRequire } from "node:module"; const require = __pineCreateRequire(${JSON.stringify(pathToFileURL(entry).href)});` },
    });
  } catch (error) {
    return { ok: false, reason: `esbuild: ${(error as Error).message.split("\n")[0]}` };
  } finally {
    await esbuild.stop();
  }
  for (const warning of result.warnings) {
    if (warning.id === "unsupported-dynamic-import" || warning.id === "unsupported-require-call") unsupported.push(warning.text);
  }
  const code = result.outputFiles[0]!.text;
  // A computed import() or require() left in the bundle would resolve against the temporary file, not the deploy's
  // own directory (the literal ones are bundled, or external with absolute URLs). Strings and comments that merely
  // look like one only cost the fallback.
  const body = code.replace(/\/\/# sourceMappingURL=.*$/m, "");
  if (/(?<![\w$.])(?:import|require)\s*\(\s*(?!["'])/.test(body)) unsupported.push("a computed import() or require() (the specifier is not a string literal)");
  if (unsupported.length > 0) return { ok: false, reason: unsupported.join("; ") };
  return { ok: true, code, depends: { inputs: [...inputs], dirs: [...dirs], externals: [...externals] } };
}

/** What loadDeploy imports: a module file (cached, or temporary until `done`), or why to use tsx instead. */
export type PreparedDeploy = { ok: true; url: string; cached: boolean; done(): void } | { ok: false; reason: string };

interface Manifest {
  version: string;
  code: string;
  inputs: Array<[path: string, sha256: string]>;
  dirs: Array<[path: string, mtimeMs: number]>;
  externals: string[];
}

/**
 * The compiled deploy from the cache when nothing it was built from changed (the same bytes in every bundled file,
 * no directory it resolved in touched, every external file still there); else compiled now and cached. The cache is
 * per user ($XDG_CACHE_HOME or ~/.cache, /pine/deploys, mode 0700), one manifest per deploy path; without a
 * writable one the module goes to a private temporary directory, removed once loaded.
 */
export async function prepareDeploy(entry: string): Promise<PreparedDeploy> {
  const cacheDir = deployCacheDir();
  const key = createHash("sha256").update(`${compilerVersion()}\0${entry}`).digest("hex").slice(0, 32);
  if (cacheDir) {
    const hit = validCacheEntry(join(cacheDir, `${key}.json`), cacheDir);
    if (hit) return { ok: true, url: pathToFileURL(hit).href, cached: true, done: () => {} };
  }
  // The source map's paths are relative to the output's directory: build for the directory it will be written to.
  let dir = cacheDir ?? mkdtempSync(join(tmpdir(), "pine-deploy-"));
  let result = await compileDeploy(entry, join(dir, "deploy.mjs")).catch((error: unknown) => ({ ok: false as const, reason: `esbuild: ${String(error)}` }));
  if (!result.ok) {
    if (!cacheDir) rmSync(dir, { recursive: true, force: true });
    return result;
  }
  if (cacheDir) {
    try {
      const codeName = `${key}-${createHash("sha256").update(result.code).digest("hex").slice(0, 16)}.mjs`;
      writeAtomically(join(cacheDir, codeName), result.code);
      const manifest: Manifest = {
        version: compilerVersion(),
        code: codeName,
        // Files esbuild read itself (JSON) are hashed now, just after the build: a change within those milliseconds
        // would go unnoticed.
        inputs: result.depends.inputs.map(([path, sha]) => [path, sha ?? sha256File(path)]),
        dirs: result.depends.dirs,
        externals: result.depends.externals,
      };
      writeAtomically(join(cacheDir, `${key}.json`), JSON.stringify(manifest));
      pruneOlder(cacheDir, key, codeName);
      return { ok: true, url: pathToFileURL(join(cacheDir, codeName)).href, cached: false, done: () => {} };
    } catch {
      // A cache that cannot be written (disk full, ...): build again for a private temporary directory.
      dir = mkdtempSync(join(tmpdir(), "pine-deploy-"));
      result = await compileDeploy(entry, join(dir, "deploy.mjs"));
      if (!result.ok) {
        rmSync(dir, { recursive: true, force: true });
        return result;
      }
    }
  }
  const temporary = dir;
  const codePath = join(temporary, "deploy.mjs");
  writeFileSync(codePath, result.code, { mode: 0o600 });
  return { ok: true, url: pathToFileURL(codePath).href, cached: false, done: () => rmSync(temporary, { recursive: true, force: true }) };
}

function validCacheEntry(manifestPath: string, cacheDir: string): string | undefined {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
  if (manifest.version !== compilerVersion()) return undefined;
  const code = join(cacheDir, manifest.code);
  try {
    if (!existsSync(code)) return undefined;
    for (const [path, sha] of manifest.inputs) if (sha256File(path) !== sha) return undefined;
    for (const [path, mtimeMs] of manifest.dirs) if ((existsSync(path) ? statSync(path).mtimeMs : -1) !== mtimeMs) return undefined;
    for (const path of manifest.externals) if (!existsSync(path)) return undefined;
  } catch {
    return undefined;
  }
  return code;
}

let version: string | undefined;

/** Changes when this compiler (pine's build of this file) or esbuild changes: older cache entries are then rebuilt. */
function compilerVersion(): string {
  if (version === undefined) {
    const own = readFileSync(fileURLToPath(import.meta.url));
    const esbuildPackage = createRequire(import.meta.url).resolve("esbuild/package.json");
    version = createHash("sha256").update(own).update(readFileSync(esbuildPackage)).update(process.version).digest("hex").slice(0, 16);
  }
  return version;
}

function deployCacheDir(): string | undefined {
  const base = process.env.XDG_CACHE_HOME || (process.env.HOME ? join(process.env.HOME, ".cache") : undefined);
  if (!base) return undefined;
  const dir = join(base, "pine", "deploys");
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
    return dir;
  } catch {
    return undefined;
  }
}

function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function writeAtomically(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  renameSync(temp, path);
}

/** Earlier builds of the same deploy, older than an hour (a concurrent run may still be importing a recent one). */
function pruneOlder(dir: string, key: string, keep: string): void {
  const hourAgo = Date.now() - 3600_000;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(`${key}-`) || name === keep) continue;
    try {
      if (statSync(join(dir, name)).mtimeMs < hourAgo) rmSync(join(dir, name), { force: true });
    } catch {
      // gone already
    }
  }
}
