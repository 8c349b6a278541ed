// server.kernel: kernel name, release and machine from one uname (every program a host runs costs it ~0.5 ms).
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines } from "../output.js";

export interface Kernel {
  /** `uname -s`, e.g. "Linux". */
  name: string;
  /** `uname -r`, e.g. "3.16.0-6-amd64". */
  release: string;
  /** `uname -m`, e.g. "x86_64". */
  machine: string;
}

export const kernel = defineFact<Kernel>({
  name: "server.kernel",
  inline: true,
  // GNU, busybox and BSD uname print the fields asked for in a fixed order (name, release, machine), space-separated,
  // whatever the order of the flags. A Linux release has no spaces; should one ever, the middle fields are the release.
  // Linux >= 6.0 tells all three in /proc/sys/kernel (ostype, osrelease, arch): read with the shell's own `read`, no
  // program. Older kernels (Debian 8's 3.16, Ubuntu 14's 3.13) and hosts without /proc run uname, printing the same line.
  command: [
    `if [ -r /proc/sys/kernel/arch ] && IFS= read -r pine_s < /proc/sys/kernel/ostype && IFS= read -r pine_r < /proc/sys/kernel/osrelease && IFS= read -r pine_m < /proc/sys/kernel/arch; then`,
    `  printf '%s %s %s\n' "$pine_s" "$pine_r" "$pine_m"`,
    `else uname -s -r -m; fi`,
  ].join("\n"),
  parse(output) {
    requireSmall(output, "server.kernel", 4096);
    const line = splitLines(output.stdout).find((l) => l.trim() !== "") ?? "";
    const fields = line.trim().split(/\s+/);
    if (fields.length < 3) {
      throw new FactUnavailable(`uname did not report name, release and machine (exit ${output.exitCode ?? "none"}${output.stderr.trim() ? `: ${output.stderr.trim()}` : ""})`);
    }
    return { name: fields[0]!, release: fields.slice(1, -1).join(" "), machine: fields[fields.length - 1]! };
  },
});
