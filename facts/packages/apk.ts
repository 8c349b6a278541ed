// packages.apk: installed Alpine packages, read from apk's database (/lib/apk/db/installed) so no apk binary is needed.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines } from "../output.js";

export interface ApkPackage {
  name: string;
  version: string;
  arch: string | null;
}

export const apk = defineFact<ApkPackage[]>({
  name: "packages.apk",
  // Only the P:, V: and A: lines matter; the database also lists every file.
  command: `if [ -r /lib/apk/db/installed ]; then grep -E '^[PVA]:' /lib/apk/db/installed; else echo '@@unavailable no /lib/apk/db/installed (not an Alpine/apk host)'; fi`,
  parse(output) {
    requireSmall(output, "packages.apk", 32 * 1024 * 1024);
    const out: ApkPackage[] = [];
    let cur: Partial<ApkPackage> = {};
    const flush = () => {
      if (cur.name && cur.version) out.push({ name: cur.name, version: cur.version, arch: cur.arch ?? null });
      cur = {};
    };
    for (const line of splitLines(output.stdout)) {
      if (line.startsWith("@@unavailable ")) throw new FactUnavailable(line.slice(14));
      if (line.startsWith("P:")) { flush(); cur.name = line.slice(2); }
      else if (line.startsWith("V:")) cur.version = line.slice(2);
      else if (line.startsWith("A:")) cur.arch = line.slice(2);
    }
    flush();
    return out;
  },
});
