// block.losetup: the util-linux losetup by full path (busybox's, which a link farm puts first on PATH, has no --show
// and no --sizelimit), its version, and whether a busybox-style losetup is there as a fallback.
import { defineFact } from "../../src/facts/define.js";
import { section, sections } from "../output.js";

export interface LosetupTool {
  /** Full path of util-linux losetup, null when the host has none. */
  utilLinux: string | null;
  /** "2.38.1"; null when unknown. */
  version: string | null;
  /** A `losetup` of busybox's kind (-f prints the next free device; no --show) on PATH or as `busybox losetup`. */
  fallback: "losetup" | "busybox losetup" | null;
}

const PLACES = ["/sbin/losetup", "/usr/sbin/losetup", "/bin/losetup", "/usr/bin/losetup"];

export const losetup = defineFact<LosetupTool>({
  name: "block.losetup",
  command: [
    `for pine_p in ${PLACES.join(" ")}; do`,
    `  [ -x "$pine_p" ] || continue`,
    `  pine_v=$("$pine_p" --version 2>/dev/null) || continue`,
    `  case $pine_v in *util-linux*) printf '@@util %s\\n%s\\n' "$pine_p" "$pine_v"; break;; esac`,
    `done`,
    `if command -v losetup >/dev/null 2>&1; then echo '@@fallback losetup'; elif command -v busybox >/dev/null 2>&1; then echo '@@fallback busybox losetup'; fi`,
    `true`,
  ].join("\n"),
  parse(output) {
    const all = sections(output.stdout);
    const util = section(all, "util");
    const fallback = section(all, "fallback")?.arg;
    return {
      utilLinux: util?.arg || null,
      version: /(\d+\.\d+(?:\.\d+)?)/.exec(util?.lines.join(" ") ?? "")?.[1] ?? null,
      fallback: fallback === "losetup" || fallback === "busybox losetup" ? fallback : null,
    };
  },
});
