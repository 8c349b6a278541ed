// files.get: a file on the host is copied to a path on the controller (skipped when the local copy already has its sha256).
import { createHash } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { UsageError } from "../../src/errors.js";
import { randomHex } from "../../src/random.js";
import { defineOperation } from "../../src/operations/define.js";
import { command } from "../../src/shell.js";
import { content as contentFact } from "../../facts/files/content.js";
import { parseMode } from "./attributes.js";
import { requireAbsolute } from "./path.js";

export interface GetArgs {
  /** The file on the host. */
  path: string;
  /** Where to write it on the controller. */
  dest: string;
  /** Mode of the local file (default 0644 less the umask). */
  mode?: number | string;
}

async function localSha(path: string): Promise<string | null> {
  try {
    return createHash("sha256").update(await readFile(path)).digest("hex");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new UsageError(`files.get: cannot read the local copy ${path}: ${(error as Error).message}`);
  }
}

export const get = defineOperation<GetArgs>({
  name: "files.get",
  describe: (a) => `${a.path} copied to the controller at ${a.dest}`,
  facts: (a) => [contentFact(requireAbsolute(a.path, "files.get"), 0)],
  async plan(host, a) {
    const path = requireAbsolute(a.path, "files.get");
    if (typeof a.dest !== "string" || a.dest === "") throw new UsageError(`files.get ${path}: dest must be a local path`);
    const mode = parseMode(a.mode, `files.get ${path}`);
    const remote = await host.fact(contentFact(path, 0));
    if (!remote) throw new Error(`files.get: ${path} does not exist on ${host.name}`);
    if ((await localSha(a.dest)) === remote.sha256) return null;
    return {
      description: `copy ${path} (${remote.size} bytes) to the controller at ${a.dest}`,
      // The host-side step only proves the file is still readable; the bytes move in `after`, over the connector.
      steps: [{ command: command("test", "-r", path), display: `read ${path} → controller ${a.dest}` }],
      async after() {
        const bytes = await host.connector.download(path);
        const sha = createHash("sha256").update(bytes).digest("hex");
        if (sha !== remote.sha256) throw new Error(`files.get: ${path} changed while it was copied (sha256 ${sha} ≠ ${remote.sha256}); run again`);
        await mkdir(dirname(a.dest), { recursive: true });
        // Unique per call: hosts fetching into one directory at once (dest: `out/${host.name}`) in the same millisecond
        // shared a pid+time name, and one host's bytes were renamed to another's dest.
        const tmp = join(dirname(a.dest), `.pine.${process.pid}.${randomHex(8)}`);
        try {
          await writeFile(tmp, bytes, { mode: mode ?? 0o644, flag: "wx" });
          if (mode !== undefined) await chmod(tmp, mode);
          await rename(tmp, a.dest);
        } catch (error) {
          await rm(tmp, { force: true });
          throw error;
        }
      },
    };
  },
});
