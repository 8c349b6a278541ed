// Vitest global setup: compile pine once so CLI tests run the real bin/pine.js on fresh code.
// Type errors are the typecheck step's job (npm run typecheck); here they only warn, since tsc still emits.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const tsc = spawnSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, "-p", `${root}/tsconfig.build.json`], { cwd: root, encoding: "utf8", timeout: 180_000 });
  if (tsc.error) throw tsc.error;
  if (tsc.status !== 0) console.warn(`tsc reported problems while building dist/ for the CLI tests:\n${tsc.stdout}${tsc.stderr}`);
  // What `npm run build` does next: the entry points bundled over tsc's output (scripts/bundle.mjs).
  const bundle = spawnSync(process.execPath, [`${root}/scripts/bundle.mjs`, `${root}/dist`], { cwd: root, encoding: "utf8", timeout: 120_000 });
  if (bundle.error) throw bundle.error;
  if (bundle.status !== 0) throw new Error(`scripts/bundle.mjs failed:\n${bundle.stdout}${bundle.stderr}`);
}
