// upgrade.fetch: the static delta is on the host and verified (size and sha256) before ostree sees a byte of it:
// streamed by the controller over the SSH channel, or downloaded by the host itself. Unchanged when it is already there.
import { createReadStream } from "node:fs";
import { byteProgress } from "../../src/byte-progress.js";
import { defineOperation } from "../../src/operations/define.js";
import { sha256 } from "../../facts/files/sha256.js";
import type { Artifact } from "../install/source.js";
import { fetchCommand } from "../install/stage.js";

/** pine OS's own busybox applets (wget, sha256sum, wc) live in /bin: that is the "farm" install's fetch script asks for. */
const PINE_BIN = "/bin";

export const fetchDelta = defineOperation<{ artifact: Artifact; dest: string }>({
  name: "upgrade.fetch",
  describe: (a) => `${a.dest} holds ${a.artifact.label} (sha256 ${a.artifact.sha256.slice(0, 12)}…)`,
  facts: (a) => [sha256(a.dest)],
  async plan(host, a) {
    if ((await host.fact(sha256(a.dest))) === a.artifact.sha256) return null;
    const artifact = a.artifact;
    const how = artifact.kind === "file" ? `stream ${artifact.path} (${artifact.size} bytes) from the controller` : `download ${artifact.url} on the host`;
    return {
      description: `${how} to ${a.dest}, verify sha256 ${artifact.sha256.slice(0, 12)}…`,
      steps: [
        {
          command: fetchCommand({ artifact, dest: a.dest, farm: PINE_BIN }),
          display: `${how} → ${a.dest}.part; check size and sha256; rename`,
          timeoutMs: 3_600_000,
          ...(artifact.kind === "file"
            ? { stdin: () => createReadStream(artifact.path).pipe(byteProgress(`applying: sending ${artifact.label}`, artifact.size, (line) => host.progress(line))) }
            : {}),
        },
      ],
      invalidates: ["files.*"],
    };
  },
});
