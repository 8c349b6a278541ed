// Where pine's own package lives, found upwards from this module: <root>/src when run from source, <root>/dist/src
// (tsc) or <root>/dist/chunks (scripts/bundle.mjs) when built.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

function findRoot(): string {
  let dir = HERE;
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** pine's package directory (the one holding its package.json). */
export const PINE_ROOT = findRoot();

/** The directory pine's running code was built into (<root>/dist), or the package directory when run from source. */
export const CODE_ROOT = HERE.startsWith(`${join(PINE_ROOT, "dist")}/`) ? join(PINE_ROOT, "dist") : PINE_ROOT;
