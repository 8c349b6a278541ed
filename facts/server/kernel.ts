// server.kernel: kernel name, release and machine from uname.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { keyValues, requireSmall, splitLines } from "../output.js";

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
  command: `printf 'name=%s\\nrelease=%s\\nmachine=%s\\n' "$(uname -s)" "$(uname -r)" "$(uname -m)"`,
  parse(output) {
    requireSmall(output, "server.kernel", 4096);
    const kv = keyValues(splitLines(output.stdout));
    const name = kv.get("name") ?? "";
    const release = kv.get("release") ?? "";
    const machine = kv.get("machine") ?? "";
    if (!name || !release || !machine) throw new FactUnavailable("uname did not report name, release and machine");
    return { name, release, machine };
  },
});
