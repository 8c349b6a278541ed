// packages.deb: installed Debian packages (dpkg-query), with version and architecture.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines } from "../output.js";

export interface DebPackage {
  name: string;
  version: string;
  arch: string;
}

export const deb = defineFact<DebPackage[]>({
  name: "packages.deb",
  // db:Status-Abbrev exists since dpkg 1.16.2 (Debian 7, Ubuntu 12.04).
  command: `if command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f '\${db:Status-Abbrev}\\t\${Package}\\t\${Version}\\t\${Architecture}\\n'; else echo '@@unavailable dpkg-query is not installed (not a Debian host)'; fi`,
  parse(output) {
    requireSmall(output, "packages.deb", 32 * 1024 * 1024);
    const lines = splitLines(output.stdout);
    if (lines[0]?.startsWith("@@unavailable ")) throw new FactUnavailable(lines[0].slice(14));
    if (output.exitCode !== 0 && lines.length === 0) throw new FactUnavailable(`dpkg-query failed (exit ${output.exitCode ?? "none"}): ${output.stderr.trim()}`);
    const out: DebPackage[] = [];
    for (const line of lines) {
      const [status, name, version, arch] = line.split("\t");
      // Status-Abbrev is want/state/error; state "i" means installed (rc = removed, config files left: not installed).
      if (!status || status[1] !== "i" || !name || version === undefined || arch === undefined) continue;
      out.push({ name, version, arch });
    }
    return out;
  },
});
