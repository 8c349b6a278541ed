// server.which(cmd): the executable a command name resolves to on PATH, or null — builtins and aliases are not executables.
import { defineFactFamily } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";
import { requireSmall, splitLines } from "../output.js";

export function whichCommand(cmd: string): string {
  // A walk over PATH rather than `command -v`, which answers "echo" for a builtin and differs between shells.
  return [
    `pine_c=${quote(cmd)}; pine_old=$IFS; IFS=:`,
    `for pine_d in $PATH; do IFS=$pine_old; [ -n "$pine_d" ] || pine_d=.`,
    `  if [ -f "$pine_d/$pine_c" ] && [ -x "$pine_d/$pine_c" ]; then printf '%s\\n' "$pine_d/$pine_c"; break; fi`,
    `done; IFS=$pine_old; true`,
  ].join("\n");
}

export const which = defineFactFamily<[cmd: string], string | null>({
  name: "server.which",
  command(cmd) {
    // A path is checked as it is; an empty name finds nothing.
    if (cmd.includes("/")) return `if [ -f ${quote(cmd)} ] && [ -x ${quote(cmd)} ]; then printf '%s\\n' ${quote(cmd)}; fi`;
    return cmd === "" ? "true" : whichCommand(cmd);
  },
  parse(output) {
    requireSmall(output, "server.which", 64 * 1024);
    const lines = splitLines(output.stdout);
    return lines.length > 0 && lines[0] !== "" ? lines[0]! : null;
  },
});
