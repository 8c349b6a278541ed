// pine.release: the pine OS release from /etc/pine, null on a host that is not (yet) pine — proves an install or upgrade landed.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, shellAssignments, splitLines } from "../output.js";

export interface PineRelease {
  version: string;
  /** Every KEY=value line of /etc/pine, when it has any. */
  fields: Record<string, string>;
}

export const release = defineFact<PineRelease | null>({
  name: "pine.release",
  command: `if [ -f /etc/pine ]; then cat /etc/pine; elif [ -e /etc/pine ]; then echo '@@unavailable /etc/pine is not a regular file'; else echo @@absent; fi`,
  parse(output) {
    requireSmall(output, "pine.release", 64 * 1024);
    const lines = splitLines(output.stdout);
    if (lines[0] === "@@absent") return null;
    if (lines[0]?.startsWith("@@unavailable ")) throw new FactUnavailable(lines[0].slice(14));
    const fields = Object.fromEntries(shellAssignments(lines));
    // Either KEY=value lines (VERSION=, PINE_VERSION=) or a bare version on the first line.
    const version = fields.VERSION ?? fields.PINE_VERSION ?? fields.version ?? (Object.keys(fields).length === 0 ? lines.find((l) => l.trim())?.trim() : undefined);
    if (!version) throw new FactUnavailable("/etc/pine holds no version");
    return { version, fields };
  },
});
