// server.arch: the machine architecture (`uname -m`) and the userland word size, to pick the right image and binaries.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { keyValues, requireSmall, splitLines } from "../output.js";

export interface Arch {
  /** `uname -m`: "x86_64", "aarch64", "armv7l", "i686". */
  machine: string;
  /** `getconf LONG_BIT` of the userland (32 on a 32-bit userland over a 64-bit kernel); null if getconf is missing. */
  userlandBits: 32 | 64 | null;
}

export const arch = defineFact<Arch>({
  name: "server.arch",
  command: `printf 'machine=%s\\nbits=%s\\n' "$(uname -m)" "$(getconf LONG_BIT 2>/dev/null)"`,
  parse(output) {
    requireSmall(output, "server.arch", 4096);
    const kv = keyValues(splitLines(output.stdout));
    const machine = kv.get("machine");
    if (!machine) throw new FactUnavailable("uname -m printed nothing");
    const bits = kv.get("bits");
    return { machine, userlandBits: bits === "32" ? 32 : bits === "64" ? 64 : null };
  },
});
