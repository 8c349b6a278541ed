// packages.apt_cache_age: seconds since apt's package lists were last updated, or null if they never were.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { keyValues, splitLines, toInt } from "../output.js";

// update-success-stamp is touched by apt's periodic job and (Debian 9+) by every successful update; the lists dir's mtime covers older apt.
export const APT_AGE_COMMAND = [
  `printf 'now=%s\\n' "$(date +%s)"`,
  `for f in /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists/partial /var/lib/apt/lists; do`,
  `  if [ -e "$f" ]; then printf 'mtime=%s\\n' "$(stat -c %Y "$f")"; break; fi`,
  `done`,
].join("\n");

export function parseAptAge(stdout: string): number | null {
  const kv = keyValues(splitLines(stdout));
  const now = toInt(kv.get("now"));
  if (now === null) throw new FactUnavailable("date +%s printed no time");
  const mtime = toInt(kv.get("mtime"));
  return mtime === null ? null : Math.max(0, now - mtime);
}

export const aptCacheAge = defineFact<number | null>({
  name: "packages.apt_cache_age",
  command: APT_AGE_COMMAND,
  parse: (output) => parseAptAge(output.stdout),
});
