// block.partitions(device): a disk's (or disk image's) size, sector size and partition table as `sfdisk -d` prints
// it — util-linux ≥ 2.26 ("type=83") and the older sfdisk of Debian 8 / Ubuntu 14 ("Id=83", empty slots) alike.
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";
import { requireSmall, section, sections, toInt } from "../output.js";

export interface TablePartition {
  /** 1-4 primary or extended, 5+ logical (dos). */
  number: number;
  /** The node sfdisk names it by ("/dev/vda1", "/dev/loop3p1"). */
  node: string;
  /** In sectors. */
  start: number;
  size: number;
  /** Lower-case hex for dos ("83", "5"), a GUID for gpt. */
  type: string;
  bootable: boolean;
}

export interface PartitionTable {
  device: string;
  sizeBytes: number;
  sectorSize: number;
  /** "dos", "gpt", ... ; null when the device holds no partition table. */
  label: string | null;
  labelId: string | null;
  partitions: TablePartition[];
  /** sfdisk's version ("2.38.1"); the script language changed in 2.26. */
  sfdiskVersion: string | null;
  /** The `sfdisk -d` text, exactly: operations compare it before writing, so a table changed meanwhile is not overwritten. */
  dump: string;
}

export const partitions = defineFactFamily<[device: string], PartitionTable>({
  name: "block.partitions",
  command: (device) => {
    const d = quote(device);
    return [
      `if [ ! -e ${d} ]; then echo '@@unavailable no such device or file'; exit 0; fi`,
      `if ! command -v sfdisk >/dev/null 2>&1; then echo '@@unavailable sfdisk (util-linux) is not installed'; exit 0; fi`,
      `if [ -b ${d} ]; then printf '@@size %s\\n' "$(blockdev --getsize64 ${d})"; printf '@@ss %s\\n' "$(blockdev --getss ${d})"`,
      `else printf '@@size %s\\n' "$(wc -c < ${d})"; echo '@@ss 512'; fi`,
      `printf '@@version %s\\n' "$(sfdisk --version 2>&1 | head -n 1)"`,
      `echo @@dump; sfdisk -d ${d} 2>/dev/null; printf '@@rc %s\\n' "$?"`,
      `echo @@err; sfdisk -d ${d} 2>&1 >/dev/null | head -n 5`,
    ].join("\n");
  },
  parse(output, device) {
    requireSmall(output, "block.partitions", 256 * 1024);
    const all = sections(output.stdout);
    const unavailable = section(all, "unavailable");
    if (unavailable) throw new FactUnavailable(`${device}: ${unavailable.arg}`);
    const sizeBytes = toInt(section(all, "size")?.arg);
    const sectorSize = toInt(section(all, "ss")?.arg);
    if (sizeBytes === null || sectorSize === null || sectorSize === 0) throw new FactUnavailable(`could not size ${device}: ${output.stderr.trim() || "no size printed"}`);
    const sfdiskVersion = /(\d+\.\d+(?:\.\d+)?)/.exec(section(all, "version")?.arg ?? "")?.[1] ?? null;
    const dumpLines = section(all, "dump")?.lines ?? [];
    const rc = toInt(section(all, "rc")?.arg);
    const err = (section(all, "err")?.lines ?? []).join(" ").trim();
    const base = { device, sizeBytes, sectorSize, sfdiskVersion, dump: dumpLines.join("\n") };
    if (rc !== 0) {
      // sfdisk -d on a blank disk: "does not contain a recognized partition table"; old sfdisk prints an empty dos table.
      if (/does not contain a recognized partition table|unrecognized partition table type/i.test(err)) return { ...base, label: null, labelId: null, partitions: [] };
      throw new FactUnavailable(`sfdisk -d ${device} failed (exit ${rc ?? "none"}): ${err || "no message"}`);
    }
    return { ...base, ...parseDump(dumpLines) };
  },
});

/** The header and partition lines of `sfdisk -d` (either generation); empty slots (size 0) are left out. */
export function parseDump(lines: readonly string[]): { label: string | null; labelId: string | null; partitions: TablePartition[] } {
  let label: string | null = null;
  let labelId: string | null = null;
  const parts: TablePartition[] = [];
  for (const line of lines) {
    const header = /^(label|label-id):\s*(\S+)\s*$/.exec(line);
    if (header) {
      if (header[1] === "label") label = header[2]!;
      else labelId = header[2]!;
      continue;
    }
    const m = /^(\S+)\s*:\s*(.*)$/.exec(line);
    if (!m || !m[1]!.startsWith("/")) continue;
    const node = m[1]!;
    const number = toInt(/(\d+)$/.exec(node)?.[1]);
    if (number === null) continue;
    const fields = new Map<string, string>();
    let bootable = false;
    for (const raw of fieldsOf(m[2]!)) {
      const field = raw.trim();
      const kv = /^([\w-]+)\s*=\s*(.*)$/.exec(field);
      if (kv) fields.set(kv[1]!.toLowerCase(), kv[2]!.trim().replace(/^"|"$/g, ""));
      else if (field === "bootable" || field === "*") bootable = true;
    }
    const start = toInt(fields.get("start"));
    const size = toInt(fields.get("size"));
    const type = fields.get("type") ?? fields.get("id");
    if (start === null || size === null || type === undefined) continue;
    if (size === 0) continue; // old sfdisk lists empty primary slots as "start=0, size=0, Id= 0"
    parts.push({ number, node, start, size, type: normalizeType(type), bootable });
  }
  // Old sfdisk prints no label line; its dumps are always dos.
  if (label === null && parts.length > 0) label = "dos";
  return { label, labelId, partitions: parts.sort((a, b) => a.number - b.number) };
}

/**
 * The comma-separated fields of a partition line, commas inside a double-quoted value (a GPT name) kept: a
 * partition named "a, size=1" must not set the size. sfdisk writes a quote inside a name as \x22, so quotes pair up.
 */
function fieldsOf(text: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === "," && !quoted) {
      out.push(current);
      current = "";
    } else current += ch;
  }
  out.push(current);
  return out;
}

/** "0x83", "83", " 5", "05" → "83", "5"; GUIDs lower-cased. */
export function normalizeType(type: string): string {
  const t = type.trim().toLowerCase().replace(/^0x/, "");
  return /^[0-9a-f]{1,2}$/.test(t) ? t.replace(/^0(?=.)/, "") : t;
}
