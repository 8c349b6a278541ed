// files.content(path): a regular file's sha256 and size, plus its bytes when small enough to diff; null when absent.
import { createHash } from "node:crypto";
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";
import { pathWord } from "./file.js";

export interface FileContent {
  sha256: string;
  size: number;
  /** The file's bytes, when it is at most `maxBytes` long (base64 on the wire, so any bytes survive). */
  bytes: Buffer | null;
}

/** Default cap on the bytes brought back for a diff. */
export const CONTENT_MAX_BYTES = 256 * 1024;

export const content = defineFactFamily<[path: string, maxBytes?: number], FileContent | null>({
  name: "files.content",
  inline: true,
  // Two programs whatever the size (every program a host runs costs it ~0.5 ms): wc for the size, then either the
  // bytes (base64) when they fit, their sha256 and size computed here; or sha256sum for a file too big to bring back.
  command: (path, maxBytes = CONTENT_MAX_BYTES) => {
    const p = pathWord(path);
    return [
      `if [ ! -e ${p} ] && [ ! -L ${p} ]; then echo @@absent`,
      `elif [ ! -f ${p} ]; then echo '@@unavailable not a regular file'`,
      `elif [ ! -r ${p} ]; then echo '@@unavailable permission denied'`,
      `else pine_size=$(wc -c < ${p}); printf '@@size %s\n' $pine_size`,
      `  if [ "$pine_size" -le ${quote(maxBytes)} ]; then echo @@base64; base64 < ${p}`,
      `  else printf '@@sha256 '; sha256sum < ${p}; fi`,
      `fi`,
    ].join("\n");
  },
  parse: (output, path) => {
    const text = output.stdout;
    if (/^@@absent$/m.test(text)) return null;
    const unavailable = /^@@unavailable (.*)$/m.exec(text);
    if (unavailable) throw new FactUnavailable(`${path}: ${unavailable[1]}`);
    const size = /^@@size\s*(\d+)$/m.exec(text);
    const at = text.indexOf("@@base64\n");
    if (size && at >= 0) {
      // base64 (or wc) failing leaves no trustworthy bytes: the script's status is base64's.
      if (output.exitCode !== 0) throw new FactUnavailable(`could not read ${path}: ${output.stderr.trim() || `base64 exited with ${output.exitCode ?? "no status"}`}`);
      // Size and sha256 of the bytes read, so the three always agree (even if the file changed after wc looked).
      const bytes = Buffer.from(text.slice(at + "@@base64\n".length).replace(/\s+/g, ""), "base64");
      return { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length, bytes };
    }
    const sha = /^@@sha256 ([0-9a-f]{64})(?:\s.*)?$/m.exec(text);
    if (!size || !sha) throw new FactUnavailable(`could not read ${path}: ${output.stderr.trim() || "sha256sum or wc printed nothing usable"}`);
    return { sha256: sha[1]!, size: Number(size[1]), bytes: null };
  },
});
