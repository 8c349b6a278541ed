// server.login: who pine is logged in as on the host (after sudo, when sudo is on): uid and user name.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";

export interface Login {
  uid: number;
  user: string;
}

export const login = defineFact<Login>({
  name: "server.login",
  command: `printf '%s %s\\n' "$(id -u)" "$(id -un 2>/dev/null || echo '?')"`,
  parse: (out) => {
    const m = /^(\d+) (\S+)\s*$/.exec(out.stdout);
    if (!m) throw new FactUnavailable(`id printed nothing usable: ${out.stderr.trim() || out.stdout.trim()}`);
    return { uid: Number(m[1]), user: m[2]! };
  },
});
