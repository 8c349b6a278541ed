// block.head_sha256(device, bytes): the device's size and the sha256 of its first `bytes` bytes — what an image
// written there must hash to. Reads that many bytes, so it costs what verifying a write costs.
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";
import { keyValues, splitLines, toInt } from "../output.js";

export interface HeadSha256 {
  /** The device's (or file's) size in bytes. */
  size: number;
  /** sha256 of the first `bytes` bytes; null when the device is smaller than that. */
  sha256: string | null;
}

export const headSha256 = defineFactFamily<[device: string, bytes: number], HeadSha256>({
  name: "block.head_sha256",
  command: (device, bytes) => {
    const d = quote(device);
    return [
      `if [ ! -e ${d} ]; then echo '@@unavailable no such device'; exit 0; fi`,
      `if [ -b ${d} ]; then pine_size=$(blockdev --getsize64 ${d}); else pine_size=$(wc -c < ${d}); fi`,
      `printf 'size=%s\\n' $pine_size`,
      `if [ "$pine_size" -ge ${quote(bytes)} ]; then printf 'sha256=%s\\n' "$(head -c ${quote(bytes)} ${d} | sha256sum | cut -c1-64)"; fi`,
    ].join("\n");
  },
  parse(output, device) {
    const lines = splitLines(output.stdout);
    const bad = lines.find((l) => l.startsWith("@@unavailable "));
    if (bad) throw new FactUnavailable(`${device}: ${bad.slice(14)}`);
    const kv = keyValues(lines);
    const size = toInt(kv.get("size"));
    if (size === null) throw new FactUnavailable(`could not size ${device}: ${output.stderr.trim() || "no output"}`);
    const sha = kv.get("sha256");
    if (sha !== undefined && !/^[0-9a-f]{64}$/.test(sha)) throw new FactUnavailable(`could not hash ${device}: ${output.stderr.trim() || "no sha256 output"}`);
    return { size, sha256: sha ?? null };
  },
});
