// Getting the artifact onto the host, verified before anything uses it: streamed from the controller over the
// SSH channel or downloaded by the host's busybox wget, into a .part file that becomes the real name only when its
// sha256 (and size, when known) match. A bad transfer leaves nothing behind and changes nothing.
import { createReadStream } from "node:fs";
import { byteProgress } from "../../src/byte-progress.js";
import { defineOperation } from "../../src/operations/define.js";
import { quote } from "../../src/shell.js";
import { sha256 } from "../../facts/files/sha256.js";
import { withPath } from "../../operations/busybox/linkfarm.js";
import type { Artifact } from "./source.js";

export interface FetchArgs {
  artifact: Artifact;
  /** Absolute path on the host. */
  dest: string;
  /** The busybox link farm whose applets (wget, sha256sum) do the work. */
  farm: string;
}

export function fetchCommand(a: FetchArgs): string {
  const part = quote(`${a.dest}.part`);
  const dir = quote(a.dest.replace(/\/[^/]+$/, "") || "/");
  const receive = a.artifact.kind === "file" ? `cat > ${part}` : `wget -q --no-check-certificate -O ${part} ${quote(a.artifact.url)}`;
  const size = a.artifact.size;
  return withPath(
    a.farm,
    [
      "set -e",
      `mkdir -p ${dir}`,
      `trap 'rm -f ${part}' EXIT`,
      receive,
      ...(size !== undefined
        ? [`pine_size=$(wc -c < ${part})`, `if [ "$pine_size" -ne ${size} ]; then echo "received $pine_size bytes of ${a.artifact.label}, expected ${size}: the transfer was cut short; nothing was changed" >&2; exit 1; fi`]
        : []),
      `pine_sum=$(sha256sum ${part} | cut -c1-64)`,
      `if [ "$pine_sum" != ${a.artifact.sha256} ]; then echo "${a.artifact.label} arrived with sha256 $pine_sum, expected ${a.artifact.sha256}: corrupted or not the right file; nothing was changed" >&2; exit 1; fi`,
      `mv -f ${part} ${quote(a.dest)}`,
      "trap - EXIT",
    ].join("\n"),
  );
}

/** A verified fetch as an operation of its own name (install.fetch, upgrade.fetch); progress lines start with `progressPrefix`. */
export function defineVerifiedFetch(name: string, progressPrefix: string) {
  return defineOperation<FetchArgs>({
    name,
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
            command: fetchCommand(a),
            display: `${how} → ${a.dest}.part; check size and sha256; rename`,
            timeoutMs: 3_600_000,
            ...(artifact.kind === "file"
              ? { stdin: () => createReadStream(artifact.path).pipe(byteProgress(`${progressPrefix}${artifact.label}`, artifact.size, (line) => host.progress(line))) }
              : {}),
          },
        ],
        invalidates: ["files.*"],
      };
    },
  });
}

export const fetchArtifact = defineVerifiedFetch("install.fetch", "sending ");
