// server.users: local accounts from /etc/passwd.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines } from "../output.js";

export interface User {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

export const users = defineFact<User[]>({
  name: "server.users",
  command: `if [ -r /etc/passwd ]; then cat /etc/passwd; else echo '@@unavailable /etc/passwd is not readable'; fi`,
  parse(output) {
    requireSmall(output, "server.users", 8 * 1024 * 1024);
    const out: User[] = [];
    for (const line of splitLines(output.stdout)) {
      if (line.startsWith("@@unavailable ")) throw new FactUnavailable(line.slice(14));
      const f = line.split(":");
      // NIS "+" entries and malformed lines are not local accounts.
      if (f.length !== 7 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!) || f[0]!.startsWith("+") || f[0]!.startsWith("-")) continue;
      out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), comment: f[4]!, home: f[5]!, shell: f[6]! });
    }
    return out;
  },
});
