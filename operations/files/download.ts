// files.download: the host fetches a URL into a path, and the file is kept only if its sha256 is the one given.
// The tool is whichever the host has (wget, curl, busybox wget), known from the facts' single round trip.
// TLS is not trusted for integrity (old hosts' TLS is often broken): certificates are not checked, the sha256 is.
import { dirname } from "node:path/posix";
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { quote } from "../../src/shell.js";
import { content as contentFact } from "../../facts/files/content.js";
import { file } from "../../facts/files/file.js";
import { which } from "../../facts/server/which.js";
import { attributeChanges, attributeCommands, describeAttributes, parseMode, type Attributes } from "./attributes.js";
import { factsAbout, requireAbsolute } from "./path.js";

export interface DownloadArgs extends Attributes {
  /** http:// or https:// (ftp:// where the tool supports it). */
  url: string;
  path: string;
  /** Required: the expected sha256 of the file, 64 hex digits. */
  sha256: string;
  /** The file's size in bytes, when known: a download of another length fails saying how many bytes arrived (cut short). */
  size?: number;
  timeoutMs?: number;
}

export type Fetcher = "wget" | "curl" | "busybox";

const TOOLS = ["wget", "curl", "busybox"] as const;

function check(a: DownloadArgs): { path: string; sha: string } {
  const path = requireAbsolute(a.path, "files.download");
  if (typeof a.url !== "string" || !/^(https?|ftp):\/\/[^\s]+$/.test(a.url)) throw new UsageError(`files.download ${path}: url must be an http(s):// or ftp:// URL without spaces, got ${JSON.stringify(a.url)}`);
  if (typeof a.sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(a.sha256)) throw new UsageError(`files.download ${path}: sha256 is required (64 hex digits), got ${JSON.stringify(a.sha256)}`);
  if (a.size !== undefined && (!Number.isSafeInteger(a.size) || a.size < 0)) throw new UsageError(`files.download ${path}: size must be the file's size in bytes, got ${JSON.stringify(a.size)}`);
  parseMode(a.mode, `files.download ${path}`);
  return { path, sha: a.sha256.toLowerCase() };
}

/** The command line that writes `url` to the file named by the shell word `out`. */
export function fetchCommand(tool: Fetcher, url: string, out: string): string {
  if (tool === "curl") return `curl -fsSL -k -o ${out} ${quote(url)}`;
  return `${tool === "busybox" ? "busybox wget" : "wget"} -q --no-check-certificate -O ${out} ${quote(url)}`;
}

/**
 * Download to a temp file beside the target, check its size (when known) and sha256 on the host, set attributes, then
 * rename over the target. The tool writes into a pipe and `cat` writes the file: `wget -q` fails silently (a full disk
 * is only its exit code 3), cat names the system's error ("No space left on device"). A tool that reports success for a
 * cut transfer (a close-delimited HTTP response) is caught by the byte count or the sha256; nothing half-done is renamed.
 */
export function downloadCommand(tool: Fetcher, url: string, path: string, sha: string, attributes: Attributes, size?: number): string {
  const shown = path.replace(/[^\w./-]/g, "?");
  const name = tool === "busybox" ? "busybox wget" : tool;
  return [
    "set -e",
    `pine_tmp=$(mktemp ${quote(`${dirname(path)}/.pine.XXXXXXXX`)})`,
    `trap 'rm -f "$pine_tmp"' EXIT`,
    // Errexit holds inside the pipeline too: `|| echo` keeps the tool's failure from ending the subshell unrecorded.
    `pine_rc=$( { { ${fetchCommand(tool, url, "-")} || echo "$?" >&3; } | cat > "$pine_tmp"; } 3>&1 ) || { printf 'writing the download to %s failed (the error above); %s left unchanged\\n' "$pine_tmp" ${quote(shown)} >&2; exit 1; }`,
    `pine_size=$(wc -c < "$pine_tmp" | tr -cd 0-9)`,
    `if [ -n "$pine_rc" ]; then printf 'downloading %s with ${name} failed (exit %s) after %s bytes; %s left unchanged\\n' ${quote(url)} "$pine_rc" "$pine_size" ${quote(shown)} >&2; exit 1; fi`,
    ...(size === undefined
      ? []
      : [`if [ "$pine_size" -ne ${size} ]; then printf 'received %s of ${size} bytes from %s: the download was cut short (or the server sent another file); %s left unchanged\\n' "$pine_size" ${quote(url)} ${quote(shown)} >&2; exit 1; fi`]),
    `pine_sum=$(sha256sum < "$pine_tmp" | cut -c1-64)`,
    `if [ "$pine_sum" != ${sha} ]; then printf 'sha256 mismatch for %s: got %s, expected %s; %s left unchanged\\n' ${quote(url)} "$pine_sum" ${sha} ${quote(shown)} >&2; exit 1; fi`,
    `chmod 0644 "$pine_tmp"`,
    ...attributeCommands('"$pine_tmp"', attributes, "files.download"),
    `mv -fT "$pine_tmp" ${quote(path)}`,
    "trap - EXIT",
  ].join("\n");
}

export const download = defineOperation<DownloadArgs>({
  name: "files.download",
  describe: (a) => `file ${a.path} from ${a.url} (sha256 ${String(a.sha256).slice(0, 12)}…)${describeAttributes(a)}`,
  facts: (a) => {
    const { path } = check(a);
    return [file(path), contentFact(path, 0), ...TOOLS.map((t) => which(t))];
  },
  async plan(host, a) {
    const { path, sha } = check(a);
    const [stat, current] = await host.facts(file(path), contentFact(path, 0));
    if (stat && stat.type !== "file") throw new Error(`files.download: ${path} exists and is a ${stat.type}, not a regular file: remove it first`);
    if (current && current.sha256 === sha) {
      const { steps, changes } = attributeChanges(path, stat!, a, "files.download");
      if (steps.length === 0) return null;
      return { description: `file ${path}: ${changes.join(", ")}`, steps: [{ command: steps.join(" && ") }], invalidates: [factsAbout(path)] };
    }
    const found = await host.facts(...TOOLS.map((t) => which(t)));
    const tool = TOOLS.find((_, i) => found[i] !== null);
    if (!tool) throw new Error(`files.download ${path}: the host has none of wget, curl or busybox to download with; push the file instead (files.put with src)`);
    return {
      description: `${current ? "replace" : "download"} ${path} from ${a.url} with ${tool === "busybox" ? "busybox wget" : tool} (sha256 checked)${describeAttributes(a)}`,
      steps: [{ command: downloadCommand(tool, a.url, path, sha, a, a.size), timeoutMs: a.timeoutMs }],
      diff: current ? `(sha256 ${current.sha256.slice(0, 12)}… → ${sha.slice(0, 12)}…)` : undefined,
      invalidates: [factsAbout(path)],
    };
  },
});
