// server.groups: local groups from /etc/group, with their member lists.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines } from "../output.js";

export interface Group {
  name: string;
  gid: number;
  /** Supplementary members (the group's primary members are in /etc/passwd, not here). */
  members: string[];
}

export const groups = defineFact<Group[]>({
  name: "server.groups",
  command: `if [ -r /etc/group ]; then cat /etc/group; else echo '@@unavailable /etc/group is not readable'; fi`,
  parse(output) {
    requireSmall(output, "server.groups", 8 * 1024 * 1024);
    const out: Group[] = [];
    for (const line of splitLines(output.stdout)) {
      if (line.startsWith("@@unavailable ")) throw new FactUnavailable(line.slice(14));
      const f = line.split(":");
      if (f.length !== 4 || !/^\d+$/.test(f[2]!) || f[0]!.startsWith("+") || f[0]!.startsWith("-")) continue;
      out.push({ name: f[0]!, gid: Number(f[2]), members: f[3]! === "" ? [] : f[3]!.split(",") });
    }
    return out;
  },
});
