// block.filesystem(device): what a device (or image file) holds — filesystem type, label, partition table — from
// `blkid -p` where util-linux blkid exists, and always from its first 8 KiB (dd + od: busybox has no blkid).
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";
import { keyValues, requireSmall, section, sections, toInt } from "../output.js";

export interface FilesystemProbe {
  /** "xfs", "ext2", "ext3", "ext4", "swap", "xfs_external_log", or whatever blkid names; null when nothing is recognised. */
  type: string | null;
  label: string | null;
  uuid: string | null;
  /** A partition table at the start of the device ("dos", "gpt"). */
  partitionTable: string | null;
  /** XFS: its log is on another device (sb_logstart is 0). null for other types. */
  xfsExternalLog: boolean | null;
  /** The first 8 KiB hold non-zero bytes that nothing recognised. */
  unknownData: boolean;
  /** Which reading answered: blkid's, or the magic bytes. */
  via: "blkid" | "magic";
}

export const PROBE_BYTES = 8192;

export const filesystem = defineFactFamily<[device: string], FilesystemProbe>({
  name: "block.filesystem",
  command: (device) => {
    const d = quote(device);
    return [
      `if [ ! -e ${d} ]; then echo '@@unavailable no such device'; exit 0; fi`,
      `if [ ! -r ${d} ]; then echo '@@unavailable not readable'; exit 0; fi`,
      // -p probes the device itself (no cache); busybox's blkid knows no -p and its answer is then ignored.
      `if command -v blkid >/dev/null 2>&1; then echo @@blkid; blkid -p -o export ${d} 2>/dev/null; printf '@@blkidrc %s\\n' "$?"; fi`,
      `echo @@magic; dd if=${d} bs=${PROBE_BYTES} count=1 2>/dev/null | od -An -v -tx1`,
    ].join("\n");
  },
  parse(output, device) {
    requireSmall(output, "block.filesystem", 256 * 1024);
    const all = sections(output.stdout);
    const bad = section(all, "unavailable");
    if (bad) throw new FactUnavailable(`${device}: ${bad.arg}`);
    const magicSection = section(all, "magic");
    if (!magicSection) throw new FactUnavailable(`could not read ${device}: ${output.stderr.trim() || "no output"}`);
    const bytes = Buffer.from(magicSection.lines.join(" ").replace(/\s+/g, ""), "hex");
    const magic = readMagic(bytes);
    const rc = toInt(section(all, "blkidrc")?.arg);
    if (rc === 0 || rc === 2) {
      const kv = keyValues(section(all, "blkid")?.lines ?? []);
      const type = kv.get("TYPE") ?? null;
      return {
        type,
        label: kv.get("LABEL") ?? null,
        uuid: kv.get("UUID") ?? null,
        partitionTable: kv.get("PTTYPE") ?? null,
        xfsExternalLog: type === "xfs" ? magic.xfsExternalLog : null,
        unknownData: type === null && !kv.has("PTTYPE") && magic.unknownData,
        via: "blkid",
      };
    }
    return magic;
  },
});

const ascii = (b: Buffer, from: number, length: number): string => b.subarray(from, from + length).toString("latin1");
const cString = (b: Buffer, from: number, length: number): string | null => {
  const text = ascii(b, from, length).replace(/\0.*$/s, "");
  return text === "" ? null : text;
};
const uuidAt = (b: Buffer, from: number): string | null => {
  const hex = b.subarray(from, from + 16).toString("hex");
  if (hex.length < 32 || /^0+$/.test(hex)) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/** Signatures at fixed offsets: XFS superblock, ext2/3/4 superblock, swap header, XFS log record, MBR, GPT. */
export function readMagic(b: Buffer): FilesystemProbe {
  const base = { label: null, uuid: null, partitionTable: null, xfsExternalLog: null, unknownData: false, via: "magic" as const };
  if (b.length >= 120 && ascii(b, 0, 4) === "XFSB") {
    return { ...base, type: "xfs", label: cString(b, 108, 12), uuid: uuidAt(b, 32), xfsExternalLog: b.readBigUInt64BE(48) === 0n };
  }
  if (b.length >= 1024 + 136 && b[1080] === 0x53 && b[1081] === 0xef) {
    const compat = b.readUInt32LE(1024 + 92);
    const incompat = b.readUInt32LE(1024 + 96);
    // extents, 64bit, flex_bg → ext4; a journal → ext3; else ext2 (blkid's rule, simplified).
    const type = incompat & (0x40 | 0x80 | 0x200) ? "ext4" : compat & 0x4 ? "ext3" : "ext2";
    return { ...base, type, label: cString(b, 1024 + 120, 16), uuid: uuidAt(b, 1024 + 104) };
  }
  for (const page of [4096, 8192]) {
    if (b.length >= page) {
      const sig = ascii(b, page - 10, 10);
      if (sig === "SWAPSPACE2" || sig === "SWAP-SPACE") return { ...base, type: "swap", label: cString(b, 1024 + 28, 16), uuid: uuidAt(b, 1024 + 12) };
    }
  }
  if (b.length >= 4 && b.readUInt32BE(0) === 0xfeedbabe) return { ...base, type: "xfs_external_log" };
  if (b.length >= 520 && ascii(b, 512, 8) === "EFI PART") return { ...base, type: null, partitionTable: "gpt" };
  if (b.length >= 512 && b[510] === 0x55 && b[511] === 0xaa) return { ...base, type: null, partitionTable: "dos" };
  return { ...base, type: null, unknownData: b.some((x) => x !== 0) };
}
