// server.mounts: the kernel's mount table (/proc/mounts), with the octal escapes decoded.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines, unescapeOctal } from "../output.js";

export interface Mount {
  device: string;
  mountpoint: string;
  fstype: string;
  options: string[];
}

export const mounts = defineFact<Mount[]>({
  name: "server.mounts",
  command: `if [ -r /proc/mounts ]; then cat /proc/mounts; else echo '@@unavailable /proc/mounts is not readable (no /proc?)'; fi`,
  parse(output) {
    requireSmall(output, "server.mounts", 8 * 1024 * 1024);
    return parseMounts(splitLines(output.stdout));
  },
});

export function parseMounts(lines: readonly string[]): Mount[] {
  const out: Mount[] = [];
  for (const line of lines) {
    if (line.startsWith("@@unavailable ")) throw new FactUnavailable(line.slice(14));
    const f = line.split(" ");
    if (f.length < 4) continue;
    out.push({ device: unescapeOctal(f[0]!), mountpoint: unescapeOctal(f[1]!), fstype: f[2]!, options: f[3]!.split(",") });
  }
  return out;
}
