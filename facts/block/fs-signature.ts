// block.fs_signature(device): which filesystem a device (or image file) holds by its magic bytes — xfs, ext2/3/4, swap — or null.
// Magic bytes instead of blkid: busybox hosts may have no blkid, and od is everywhere.
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";
import { keyValues, splitLines } from "../output.js";

export type FsSignature = "xfs" | "ext" | "swap";

export const fsSignature = defineFactFamily<[device: string], FsSignature | null>({
  name: "block.fs_signature",
  command: (device) => {
    const d = quote(device);
    return [
      `if [ ! -e ${d} ]; then echo '@@unavailable no such device'; exit 0; fi`,
      `if [ ! -r ${d} ]; then echo '@@unavailable not readable'; exit 0; fi`,
      // XFS: "XFSB" at 0; ext2/3/4: 0xEF53 little-endian at 1080; swap: "SWAPSPACE2" ending a 4 KiB page.
      `printf 'xfs=%s\\n' "$(od -An -tx1 -N4 ${d} 2>/dev/null | tr -d ' \\n')"`,
      `printf 'ext=%s\\n' "$(od -An -tx1 -j1080 -N2 ${d} 2>/dev/null | tr -d ' \\n')"`,
      `printf 'swap=%s\\n' "$(od -An -tx1 -j4086 -N10 ${d} 2>/dev/null | tr -d ' \\n')"`,
    ].join("\n");
  },
  parse(output, device) {
    const lines = splitLines(output.stdout);
    const bad = lines.find((l) => l.startsWith("@@unavailable "));
    if (bad) throw new FactUnavailable(`${device}: ${bad.slice(14)}`);
    const kv = keyValues(lines);
    if (!kv.has("xfs")) throw new FactUnavailable(`could not read ${device}: ${output.stderr.trim() || "no output"}`);
    if (kv.get("xfs") === "58465342") return "xfs";
    if (kv.get("ext") === "53ef") return "ext";
    if (kv.get("swap") === "53574150535041434532") return "swap";
    return null;
  },
});
