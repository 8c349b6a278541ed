// server.hostname: the kernel's node name, as `uname -n` reports it: read from /proc/sys/kernel/hostname (the same
// per-UTS-namespace value) with the shell's `read`, no program run; `uname -n` where /proc is not mounted.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines } from "../output.js";

export const hostname = defineFact<string>({
  name: "server.hostname",
  inline: true,
  command: `if [ -r /proc/sys/kernel/hostname ] && IFS= read -r pine_h < /proc/sys/kernel/hostname; then printf '%s\\n' "$pine_h"; else uname -n; fi`,
  parse(output) {
    requireSmall(output, "server.hostname", 4096);
    const lines = splitLines(output.stdout).filter((l) => l.trim() !== "");
    if (output.exitCode !== 0 || lines.length !== 1) {
      throw new FactUnavailable(`/proc/sys/kernel/hostname and uname -n gave no single hostname (exit ${output.exitCode ?? "none"}, ${lines.length} lines)`);
    }
    return lines[0]!.trim();
  },
});
