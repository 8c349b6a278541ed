// files.sha256(path): the SHA-256 of a file's content (sha256sum, busybox sha256sum, or openssl), null when nothing is there.
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines } from "../output.js";
import { pathWord } from "./file.js";

export const sha256 = defineFactFamily<[path: string], string | null>({
  name: "files.sha256",
  inline: true,
  command(path) {
    const p = pathWord(path);
    // Hash stdin, so the file name never appears in the output.
    return [
      `if [ ! -e ${p} ] && [ ! -L ${p} ]; then echo @@absent`,
      `elif [ ! -f ${p} ]; then echo '@@unavailable not a regular file'`,
      `elif [ ! -r ${p} ]; then echo '@@unavailable permission denied'`,
      `elif command -v sha256sum >/dev/null 2>&1; then sha256sum < ${p}`,
      `elif command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 < ${p}`,
      `else echo '@@unavailable neither sha256sum nor openssl is installed'; fi`,
    ].join("\n");
  },
  parse(output, path) {
    requireSmall(output, "files.sha256", 4096);
    const line = splitLines(output.stdout)[0] ?? "";
    if (line === "@@absent") return null;
    if (line.startsWith("@@unavailable ")) throw new FactUnavailable(`${path}: ${line.slice(14)}`);
    // sha256sum: "<hex>  -"; openssl: "(stdin)= <hex>" or "SHA256(stdin)= <hex>".
    const m = /\b([0-9a-f]{64})\b/.exec(line);
    if (!m || output.exitCode !== 0) throw new FactUnavailable(`cannot hash ${path}: ${output.stderr.trim() || "no digest in the output"}`);
    return m[1]!;
  },
});
