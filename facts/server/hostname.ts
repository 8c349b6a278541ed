// server.hostname: the kernel's node name, as `uname -n` reports it.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines } from "../output.js";

export const hostname = defineFact<string>({
  name: "server.hostname",
  command: "uname -n",
  parse(output) {
    requireSmall(output, "server.hostname", 4096);
    const lines = splitLines(output.stdout).filter((l) => l.trim() !== "");
    if (output.exitCode !== 0 || lines.length !== 1) {
      throw new FactUnavailable(`uname -n gave no single hostname (exit ${output.exitCode ?? "none"}, ${lines.length} lines)`);
    }
    return lines[0]!.trim();
  },
});
