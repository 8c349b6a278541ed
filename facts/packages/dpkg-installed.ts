// packages.dpkg_installed: installed Debian packages (name → version), from dpkg-query; works with Debian 8's dpkg 1.17.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { splitLines } from "../output.js";

export const DEB_COMMAND = `if command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f '\${Package}\\t\${Version}\\t\${Status}\\n'; else echo '@@unavailable dpkg-query not found: not a Debian-family host'; fi`;

/** Lines `name<TAB>version<TAB>want ok state`; only "installed" counts (not config-files, half-installed). */
export function parseDeb(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of splitLines(stdout)) {
    if (line.startsWith("@@unavailable ")) throw new FactUnavailable(line.slice(14));
    const [name, version, status] = line.split("\t");
    if (!name || version === undefined || !status) continue;
    if (status.split(" ")[2] === "installed") out[name.replace(/:[a-z0-9]+$/, "")] = version;
  }
  return out;
}

export const dpkgInstalled = defineFact<Record<string, string>>({
  name: "packages.dpkg_installed",
  command: DEB_COMMAND,
  parse: (output) => parseDeb(output.stdout),
});
