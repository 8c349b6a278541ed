// block.loops: attached loop devices and what backs them, read from /sys/block/loop*/loop (same on GNU and busybox hosts).
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { keyValues, requireSmall, sections, throwIfUnavailable, toInt } from "../output.js";

export interface LoopDevice {
  name: string;
  device: string;
  /** The backing file as the kernel reports it (" (deleted)" appended if it was removed). */
  backingFile: string;
  offset: number;
  sizeLimit: number;
  autoclear: boolean;
  partscan: boolean;
  readOnly: boolean;
}

export const loops = defineFact<LoopDevice[]>({
  name: "block.loops",
  command: [
    `if [ -d /sys/block ]; then`,
    // The backing file is read first, whole (the "." keeps a name's trailing newlines): a loop detached meanwhile is
    // skipped. Printed as "backing=" and then cat, a vanished one left "backing=" without its newline, and the next
    // loop's section was swallowed into its name: that loop went missing from the list.
    `  for d in /sys/block/loop*; do pine_b=$(cat "$d/loop/backing_file" 2>/dev/null && echo .) || continue`,
    `    printf '@@loop %s\\n' "\${d##*/}"`,
    `    for k in offset sizelimit autoclear partscan; do printf '%s=%s\\n' "$k" "$(cat "$d/loop/$k" 2>/dev/null)"; done`,
    `    printf 'ro=%s\\n' "$(cat "$d/ro" 2>/dev/null)"; printf 'backing=%s' "\${pine_b%.}"`,
    `  done`,
    `else echo '@@unavailable no /sys/block (sysfs not mounted)'; fi`,
  ].join("\n"),
  parse(output) {
    requireSmall(output, "block.loops", 1024 * 1024);
    const all = sections(output.stdout);
    throwIfUnavailable(all);
    return all.filter((s) => s.name === "loop").map((s) => {
      const at = s.lines.findIndex((l) => l.startsWith("backing="));
      if (at < 0) throw new FactUnavailable(`no backing file for ${s.arg}`);
      const kv = keyValues(s.lines.slice(0, at));
      const backingFile = [s.lines[at]!.slice(8), ...s.lines.slice(at + 1)].join("\n");
      return {
        name: s.arg,
        device: `/dev/${s.arg}`,
        backingFile,
        offset: toInt(kv.get("offset")) ?? 0,
        sizeLimit: toInt(kv.get("sizelimit")) ?? 0,
        autoclear: kv.get("autoclear") === "1",
        partscan: kv.get("partscan") === "1",
        readOnly: kv.get("ro") === "1",
      };
    });
  },
});
