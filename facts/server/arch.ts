// server.arch: the machine architecture (`uname -m`) and the userland word size, to pick the right image and binaries.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { keyValues, requireSmall, splitLines } from "../output.js";

export interface Arch {
  /** `uname -m`: "x86_64", "aarch64", "armv7l", "i686". */
  machine: string;
  /**
   * The userland's word size (32 on a 32-bit userland over a 64-bit kernel): `getconf LONG_BIT`, or where there is no
   * getconf (a busybox userland) the ELF class of /bin/sh; null when neither answers.
   */
  userlandBits: 32 | 64 | null;
}

export const arch = defineFact<Arch>({
  name: "server.arch",
  command: [
    `printf 'machine=%s\\nbits=%s\\n' "$(uname -m)" "$(getconf LONG_BIT 2>/dev/null)"`,
    // ELF magic, then e_ident[EI_CLASS]: 01 = 32-bit, 02 = 64-bit (od follows the /bin/sh link).
    `printf 'elf=%s\\n' "$(od -An -tx1 -N5 /bin/sh 2>/dev/null | tr -d ' \\n')"`,
  ].join("\n"),
  parse(output) {
    requireSmall(output, "server.arch", 4096);
    const kv = keyValues(splitLines(output.stdout));
    const machine = kv.get("machine");
    if (!machine) throw new FactUnavailable("uname -m printed nothing");
    const bits = kv.get("bits");
    const elf = kv.get("elf");
    const userlandBits = bits === "32" ? 32 : bits === "64" ? 64 : elf === "7f454c4601" ? 32 : elf === "7f454c4602" ? 64 : null;
    return { machine, userlandBits };
  },
});
