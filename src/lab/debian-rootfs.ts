// The cached Debian root filesystem tarball debian hosts are extracted from, built by scripts/rootfs/debian.sh.
import { access } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PineError } from "../errors.js";
import { runLocal } from "./local-command.js";

const SCRIPT = join("scripts", "rootfs", "debian.sh");
/** mmdebstrap takes 20-60 s here; a slow mirror or a loaded CI machine gets far more, but not forever. */
const BUILD_TIMEOUT_SECONDS = 1_200;

/** scripts/rootfs/debian.sh of this checkout, found upwards from this module (src/lab or dist/src/lab). */
export async function debianRootfsScript(): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++) {
    const candidate = join(dir, SCRIPT);
    if (await access(candidate).then(() => true, () => false)) return candidate;
    dir = dirname(dir);
  }
  throw new PineError(`cannot find ${SCRIPT} above ${dirname(fileURLToPath(import.meta.url))}`, {
    step: "find the rootfs build script",
    hint: "debian lab hosts need pine's source checkout (the script is not part of the npm package)",
  });
}

/** The tarball's path, building it first unless cached (a no-op then). Its name is keyed by the recipe. */
export async function ensureDebianRootfs(): Promise<string> {
  const script = await debianRootfsScript();
  // GNU timeout signals the whole process group, so mmdebstrap and apt go too.
  const { stdout } = await runLocal("timeout", ["-k", "30", String(BUILD_TIMEOUT_SECONDS), "bash", script], {
    step: "build the Debian rootfs for debian lab hosts",
    timeoutMs: (BUILD_TIMEOUT_SECONDS + 60) * 1_000,
  });
  const path = stdout.trim().split("\n").pop() ?? "";
  if (!path.endsWith(".tar.zst")) {
    throw new PineError(`${script} printed no tarball path`, { step: "build the Debian rootfs", stderr: stdout });
  }
  return path;
}

/** Whether the current recipe's tarball is already built (so an `up` will not spend a minute building it). */
export async function isDebianRootfsCached(): Promise<boolean> {
  const { stdout } = await runLocal("bash", [await debianRootfsScript(), "--path"], { step: "locate the Debian rootfs" });
  return access(stdout.trim()).then(() => true, () => false);
}
