// busybox.missing_applets(dir): the applets of DIR/busybox that have no link in DIR yet; null when DIR/busybox is missing or does not run.
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";
import { splitLines } from "../output.js";

export const missingApplets = defineFactFamily<[dir: string], string[] | null>({
  name: "busybox.missing_applets",
  command: (dir) => {
    const d = quote(dir);
    const bb = quote(`${dir}/busybox`);
    return [
      `if [ ! -x ${bb} ] || ! pine_list=$(${bb} --list 2>/dev/null); then echo @@absent; exit 0; fi`,
      `echo @@missing`,
      `for pine_a in $pine_list; do [ -e ${d}/"$pine_a" ] || [ -L ${d}/"$pine_a" ] || printf '%s\\n' "$pine_a"; done`,
    ].join("\n");
  },
  parse(output, dir) {
    const lines = splitLines(output.stdout);
    if (lines[0] === "@@absent") return null;
    if (lines[0] !== "@@missing") throw new FactUnavailable(`could not list the applets of ${dir}/busybox: ${output.stderr.trim() || "no output"}`);
    return lines.slice(1).filter((l) => l !== "");
  },
});
