// Find a deploy by name (pine's own deploys/) or load a user's .ts/.js file at run time, no build step.
import { existsSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { UsageError } from "../errors.js";
import { CODE_ROOT } from "../package-root.js";
import { prepareDeploy } from "./compile.js";
import type { Deploy } from "./define.js";

/** The folder holding pine's shipped deploys: dist/deploys when this code runs from dist/, else deploys/ beside src/. */
function builtinDir(): string {
  return join(CODE_ROOT, "deploys");
}

export function builtinDeployPath(name: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) return undefined;
  // A deploy is a file (deploys/demo.ts) or a folder with an index (deploys/install/index.ts).
  for (const candidate of [name, `${name}/index`]) {
    for (const ext of [".js", ".ts"]) {
      const path = resolve(builtinDir(), candidate + ext);
      if (existsSync(path)) return path;
    }
  }
  return undefined;
}

/** How a deploy file was loaded: imported as is, compiled by esbuild into one module (now or earlier), or through tsx's hooks (and why). */
export type DeployLoader = "node" | "esbuild" | "esbuild (cached)" | { tsx: string };

export async function loadDeploy(target: string, cwd = process.cwd()): Promise<{ deploy: Deploy<unknown>; path: string; loader: DeployLoader }> {
  const looksLikePath = target.includes("/") || [".ts", ".mts", ".js", ".mjs"].includes(extname(target));
  const path = looksLikePath ? resolve(cwd, target) : builtinDeployPath(target);
  if (!path || !existsSync(path)) {
    throw new UsageError(
      looksLikePath ? `deploy file ${target} does not exist` : `there is no deploy named "${target}"`,
      { hint: looksLikePath ? `check the path (resolved to ${path})` : `pass a path to your own deploy file (./site.ts), or one of pine's: ${listBuiltins().join(", ")}` },
    );
  }
  let module: Record<string, unknown>;
  let loader: DeployLoader = "node";
  try {
    if (path.endsWith(".ts") || path.endsWith(".mts")) ({ module, loader } = await importTypeScript(path));
    else module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`could not load deploy file ${path}: ${(error as Error).message}`, {
      hint: locateInFile(error, path) ?? "fix the file and run again",
    });
  }
  let candidate = (module.default ?? module.deploy) as unknown;
  // A CommonJS deploy (module.exports, or a .ts file outside a "type": "module" package loaded by tsx): its exports arrive one level down.
  if (candidate && typeof candidate === "object" && !("run" in candidate) && "default" in candidate) candidate = (candidate as { default: unknown }).default;
  const deploy = asDeploy(candidate, path);
  return { deploy, path, loader };
}

/**
 * A .ts deploy: compiled with esbuild into one module (src/deploys/compile.ts, cached while its files are unchanged)
 * and imported from that file; stack traces point at the .ts files through its inline source map. What esbuild
 * cannot compile faithfully (a computed import(), import.meta.resolve, a build error, ...) is loaded through tsx's
 * hooks instead, with tsx's messages for errors.
 */
async function importTypeScript(path: string): Promise<{ module: Record<string, unknown>; loader: DeployLoader }> {
  const prepared = await prepareDeploy(path);
  if (prepared.ok) {
    try {
      process.setSourceMapsEnabled(true);
      const module = (await import(prepared.url)) as Record<string, unknown>;
      return { module, loader: prepared.cached ? "esbuild (cached)" : "esbuild" };
    } finally {
      prepared.done();
    }
  }
  await registerTypeScript();
  return { module: (await import(pathToFileURL(path).href)) as Record<string, unknown>, loader: { tsx: prepared.reason } };
}

let typeScriptReady: Promise<void> | undefined;

/**
 * The fallback: tsx's loader hooks, registered once per process and without a namespace, so the deploy's
 * `import ... from "pine"` still resolves to the same module URLs the CLI runs. (tsx's `tsImport`, used before,
 * isolated every import under a `?tsx-namespace=` query: the deploy got a second copy of every operation and fact
 * module, ~0.4 s of CPU per run.) pine's API is imported before the hooks exist, so its modules are already in the
 * loader's cache and only the deploy's own files go through tsx. The hooks stay registered: such a deploy may import
 * more .ts files while it runs. Both halves are needed: a .ts file outside a "type": "module" package is CommonJS,
 * which the ESM hooks hand to Node's require (ERR_REQUIRE_CYCLE_MODULE without tsx's require hook).
 */
function registerTypeScript(): Promise<void> {
  typeScriptReady ??= (async () => {
    await import("../index.js");
    const [{ register: registerCommonJs }, { register }] = await Promise.all([import("tsx/cjs/api"), import("tsx/esm/api")]);
    registerCommonJs();
    register();
  })();
  return typeScriptReady;
}

function asDeploy(candidate: unknown, path: string): Deploy<unknown> {
  if (typeof candidate === "function") {
    return { name: path, run: candidate as Deploy<unknown>["run"] };
  }
  if (candidate && typeof candidate === "object" && typeof (candidate as Deploy<unknown>).run === "function") {
    return candidate as Deploy<unknown>;
  }
  throw new UsageError(`deploy file ${path} exports no deploy`, {
    hint: "export default async function (host) { ... } or export default defineDeploy({ name, run(host) { ... } })",
  });
}

/** "at site.ts:12:5" for an error thrown from inside a deploy file, read from its stack. */
export function locateInFile(error: unknown, path: string): string | undefined {
  const stack = error instanceof Error ? error.stack ?? "" : "";
  const fileUrl = pathToFileURL(path).href;
  for (const line of stack.split("\n")) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    const file = m[1]!.startsWith("file://") ? m[1]! : pathToFileURL(m[1]!).href;
    if (file === fileUrl) return `at ${path}:${m[2]}:${m[3]}`;
  }
  return undefined;
}

export function listBuiltins(): string[] {
  return ["demo", "install", "upgrade"].filter((n) => builtinDeployPath(n));
}
