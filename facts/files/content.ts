// files.content(path): a regular file's sha256 and size, plus its bytes when small enough to diff; null when absent.
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
  command: (path, maxBytes = CONTENT_MAX_BYTES) => {
    const p = pathWord(path);
    return [
      `if [ ! -e ${p} ] && [ ! -L ${p} ]; then echo @@absent`,
      `elif [ ! -f ${p} ]; then echo '@@unavailable not a regular file'`,
      `elif [ ! -r ${p} ]; then echo '@@unavailable permission denied'`,
      `else pine_size=$(wc -c < ${p}); printf '@@size %s\\n' $pine_size`,
      `  printf '@@sha256 %s\\n' "$(sha256sum < ${p} | cut -c1-64)"`,
      `  if [ "$pine_size" -le ${quote(maxBytes)} ]; then echo @@base64; base64 < ${p}; fi`,
      `fi`,
    ].join("\n");
  },
  parse: (output, path) => {
    const text = output.stdout;
    if (/^@@absent$/m.test(text)) return null;
    const unavailable = /^@@unavailable (.*)$/m.exec(text);
    if (unavailable) throw new FactUnavailable(`${path}: ${unavailable[1]}`);
    const size = /^@@size\s*(\d+)$/m.exec(text);
    const sha = /^@@sha256 ([0-9a-f]{64})$/m.exec(text);
    if (!size || !sha) throw new FactUnavailable(`could not read ${path}: ${output.stderr.trim() || "sha256sum or wc printed nothing usable"}`);
    const at = text.indexOf("@@base64\n");
    const bytes = at < 0 ? null : Buffer.from(text.slice(at + "@@base64\n".length).replace(/\s+/g, ""), "base64");
    return { sha256: sha[1]!, size: Number(size[1]), bytes };
  },
});
