// server.shell: what /bin/sh really is (dash, bash, busybox ash), since commands must run under all of them.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { keyValues, requireSmall, splitLines } from "../output.js";

export interface Shell {
  /** "dash", "bash", "busybox", "mksh", "zsh", ... or "unknown". */
  kind: string;
  /** Where /bin/sh finally points (itself when not a link). */
  target: string;
}

export const shell = defineFact<Shell>({
  name: "server.shell",
  command: [
    `printf 'target=%s\\n' "$(readlink -f /bin/sh 2>/dev/null || echo /bin/sh)"`,
    `printf 'bash=%s\\n' "$(/bin/sh -c 'echo "\${BASH_VERSION-}"' </dev/null 2>/dev/null)"`,
    `printf 'busybox=%s\\n' "$(/bin/sh --help </dev/null 2>&1 | grep -c BusyBox)"`,
  ].join("\n"),
  parse(output) {
    requireSmall(output, "server.shell", 4096);
    const kv = keyValues(splitLines(output.stdout));
    const target = kv.get("target");
    if (!target) throw new FactUnavailable("cannot resolve /bin/sh");
    const base = target.split("/").pop() ?? "";
    let kind = "unknown";
    if (kv.get("bash")) kind = "bash";
    else if (base === "busybox" || Number(kv.get("busybox") ?? 0) > 0) kind = "busybox";
    else if (/^(dash|bash|mksh|ksh|zsh|ash|yash|posh)$/.test(base)) kind = base;
    return { kind, target };
  },
});
