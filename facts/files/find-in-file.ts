// files.find_in_file(path, pattern): the lines of a file matching an extended regular expression (grep -E), null when the file is absent.
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";
import { pathWord } from "./file.js";

/** Matching lines beyond this are refused rather than held in memory. */
const MAX_OUTPUT = 32 * 1024 * 1024;

export const findInFile = defineFactFamily<[path: string, pattern: string], string[] | null>({
  name: "files.find_in_file",
  inline: true,
  command(path, pattern) {
    const p = pathWord(path);
    // grep reads stdin so its output never carries the file name; its exit status comes last on a line of its own.
    return [
      `if [ ! -e ${p} ] && [ ! -L ${p} ]; then echo @@absent`,
      `else grep -E -e ${quote(pattern)} < ${p}; printf '\\n@@grep-exit %s\\n' "$?"; fi`,
    ].join("\n");
  },
  parse(output, path, pattern) {
    const text = output.stdout;
    if (text.length > MAX_OUTPUT) throw new FactUnavailable(`${path}: ${text.length} bytes of matches for ${pattern}, more than ${MAX_OUTPUT}; refusing`);
    if (text === "@@absent\n") return null;
    const m = /\n@@grep-exit (\d+)\n$/.exec(text);
    if (!m) throw new FactUnavailable(`grep on ${path} did not finish`);
    const status = Number(m[1]);
    if (status === 1) return [];
    if (status !== 0) throw new FactUnavailable(`grep -E on ${path} failed (exit ${status}): ${output.stderr.trim() || "bad pattern or unreadable file"}`);
    // Lines exactly as grep printed them (a CR of a DOS file is kept).
    const lines = text.slice(0, m.index).split("\n");
    lines.pop();
    return lines;
  },
});
