// packages.apk_installed: installed Alpine packages (name → version-rN), from the apk database.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { splitLines } from "../output.js";

// /lib/apk/db/installed has P: (name) and V: (version) lines per package, so no name-version guessing is needed.
export const APK_COMMAND = `if [ -r /lib/apk/db/installed ]; then grep -E '^[PV]:' /lib/apk/db/installed; else echo '@@unavailable /lib/apk/db/installed not found: not an Alpine host'; fi`;

export function parseApk(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  let name: string | undefined;
  for (const line of splitLines(stdout)) {
    if (line.startsWith("@@unavailable ")) throw new FactUnavailable(line.slice(14));
    if (line.startsWith("P:")) name = line.slice(2);
    else if (line.startsWith("V:") && name) {
      out[name] = line.slice(2);
      name = undefined;
    }
  }
  return out;
}

export const apkInstalled = defineFact<Record<string, string>>({
  name: "packages.apk_installed",
  command: APK_COMMAND,
  parse: (output) => parseApk(output.stdout),
});
