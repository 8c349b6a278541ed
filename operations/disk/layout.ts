// Placing a typed dos partition layout on a disk, in sectors, beside the partitions already there: pure, no I/O.
// Existing partitions the layout does not name stay exactly as they are; ones it names must match it or it is refused.
import type { PartitionTable, TablePartition } from "../../facts/block/partitions.js";

export type Amount = { mib: number } | { sectors: number };

export interface PartitionSpec {
  /** 1-4: primary or extended; 5 and up: logical, inside the extended partition. */
  number: number;
  /** Where it starts on the disk; default: the next 1 MiB boundary after the partition before it. */
  start?: Amount;
  /** "rest": up to the next partition or the end of the disk (of the extended partition, for a logical one). */
  size: Amount | "rest";
  /** dos type code in hex: "83" Linux, "82" swap, "5" extended, "ef" EFI, "fd" RAID... */
  type: string;
  bootable?: boolean;
}

export interface Placed {
  number: number;
  start: number;
  size: number;
  type: string;
  bootable: boolean;
}

export interface LayoutPlan {
  /** Partitions to create, in number order (extended before its logicals). */
  create: Placed[];
  /** Layout partitions the table already has, exactly. */
  present: Placed[];
}

export class LayoutError extends Error {
  constructor(
    readonly problems: string[],
    readonly table: string,
  ) {
    super(`${problems.join("; ")}\n  current table:\n${table}`);
    this.name = "LayoutError";
  }
}

const EXTENDED = new Set(["5", "f", "85"]);

export const isExtended = (type: string): boolean => EXTENDED.has(type);

export function normalizeSpecType(type: unknown, n: number): string {
  if (typeof type !== "string" || !/^(0x)?[0-9a-fA-F]{1,2}$/.test(type.trim())) throw new Error(`partition ${n}: type must be a dos type code in hex ("83", "82", "5"), got ${JSON.stringify(type)}`);
  return type.trim().toLowerCase().replace(/^0x/, "").replace(/^0(?=.)/, "");
}

function sectors(amount: Amount, sectorSize: number, what: string): number {
  const value = "mib" in amount ? amount.mib : amount.sectors;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new Error(`${what} must be a whole number ≥ 0, got ${JSON.stringify(amount)}`);
  if ("sectors" in amount) return value;
  const bytes = value * 1024 * 1024;
  if (bytes % sectorSize !== 0) throw new Error(`${what}: ${value} MiB is not a whole number of ${sectorSize}-byte sectors`);
  return bytes / sectorSize;
}

/** "partition 5: start 1050624, 10485760 sectors (5120 MiB), type 83" */
export function show(p: { number: number; start: number; size: number; type: string; bootable?: boolean }, sectorSize: number): string {
  const mib = (p.size * sectorSize) / 1048576;
  return `partition ${p.number}: sectors ${p.start}-${p.start + p.size - 1} (${p.size} sectors, ${Number.isInteger(mib) ? mib : mib.toFixed(2)} MiB), type ${p.type}${p.bootable ? ", bootable" : ""}`;
}

export function showTable(table: PartitionTable): string {
  const head = `    ${table.device}: ${table.sizeBytes} bytes, ${Math.floor(table.sizeBytes / table.sectorSize)} sectors of ${table.sectorSize}, ${table.label ?? "no"} partition table`;
  return [head, ...table.partitions.map((p) => `    ${show(p, table.sectorSize)}`)].join("\n");
}

const end = (p: { start: number; size: number }): number => p.start + p.size - 1;
const overlaps = (a: { start: number; size: number }, b: { start: number; size: number }): boolean => a.start <= end(b) && b.start <= end(a);

/** Place every layout partition on the disk and decide which ones to create; throws LayoutError listing every conflict. */
export function placeLayout(table: PartitionTable, layout: readonly PartitionSpec[]): LayoutPlan {
  const ss = table.sectorSize;
  const align = Math.max(1, 1048576 / ss);
  const alignUp = (s: number): number => Math.ceil(s / align) * align;
  const lastUsable = Math.floor(table.sizeBytes / ss) - 1;
  const problems: string[] = [];

  const numbers = new Set<number>();
  for (const spec of layout) {
    if (!Number.isSafeInteger(spec.number) || spec.number < 1 || spec.number > 60) throw new Error(`partition numbers are 1-4 (primary, extended) and 5-60 (logical), got ${JSON.stringify(spec.number)}`);
    if (numbers.has(spec.number)) throw new Error(`partition ${spec.number} appears twice in the layout`);
    numbers.add(spec.number);
  }
  const specs = [...layout].sort((a, b) => a.number - b.number);
  const foreign = table.partitions.filter((p) => !numbers.has(p.number));
  const primaries = <T extends { number: number }>(list: readonly T[]): T[] => list.filter((p) => p.number <= 4);

  const placed: Placed[] = [];
  /** A layout partition first, then an existing one, each said as such. */
  const pair = (a: { number: number; start: number; size: number; type: string }, b: typeof a): string => {
    const [x, y] = placed.includes(b as Placed) && !placed.includes(a as Placed) ? [b, a] : [a, b];
    const say = (p: typeof a) => `${placed.includes(p as Placed) ? "" : "existing "}${show(p, ss)}`;
    return `${say(x)} overlaps ${say(y)}`;
  };
  const place = (spec: PartitionSpec, cursor: number, limit: number, region: string, next: (start: number) => number): Placed | null => {
    const type = normalizeSpecType(spec.type, spec.number);
    const start = spec.start === undefined ? cursor : sectors(spec.start, ss, `partition ${spec.number}: start`);
    let size: number;
    if (spec.size === "rest") {
      const later = specs.some((s) => s.number > spec.number && (s.number <= 4) === (spec.number <= 4));
      if (later) throw new Error(`partition ${spec.number}: size "rest" is only for the last partition of its region (${region}); put the others before it`);
      size = Math.min(next(start), limit) - start + 1;
    } else size = sectors(spec.size, ss, `partition ${spec.number}: size`);
    if (size <= 0) {
      problems.push(`partition ${spec.number} has no room: it would start at sector ${start}, past the end of ${region} (sector ${limit})`);
      return null;
    }
    const p: Placed = { number: spec.number, start, size, type, bootable: spec.bootable === true };
    if (end(p) > limit) problems.push(`${show(p, ss)} does not fit: ${region} ends at sector ${limit}`);
    placed.push(p);
    return p;
  };

  // Primary and extended partitions, after the foreign ones and each other.
  let cursor = alignUp(Math.max(align, ...primaries(foreign).map((p) => end(p) + 1)));
  for (const spec of specs.filter((s) => s.number <= 4)) {
    const nextForeign = (start: number): number => Math.min(lastUsable, ...primaries(foreign).filter((p) => p.start > start).map((p) => p.start - 1));
    const p = place(spec, cursor, lastUsable, "the disk", nextForeign);
    if (p) cursor = alignUp(end(p) + 1);
  }
  const allPrimaries: Array<{ number: number; start: number; size: number; type: string }> = [...primaries(foreign), ...placed.filter((p) => p.number <= 4)];
  const extendeds = allPrimaries.filter((p) => isExtended(p.type));
  if (extendeds.length > 1) problems.push(`a dos table holds one extended partition, this would make ${extendeds.length} (${extendeds.map((p) => p.number).join(", ")})`);
  for (let i = 0; i < allPrimaries.length; i++) {
    for (let j = i + 1; j < allPrimaries.length; j++) {
      const [a, b] = [allPrimaries[i]!, allPrimaries[j]!];
      if (overlaps(a, b)) problems.push(pair(a, b));
    }
  }

  // Logical partitions, inside the extended one, each after its EBR sector.
  const logicalSpecs = specs.filter((s) => s.number > 4);
  if (logicalSpecs.length > 0) {
    const ext = extendeds[0];
    if (!ext) problems.push(`logical partitions ${logicalSpecs.map((s) => s.number).join(", ")} need an extended partition (type 5), and there is none`);
    else {
      const foreignLogicals = foreign.filter((p) => p.number > 4).sort((a, b) => a.start - b.start);
      const lastForeign = Math.max(4, ...foreignLogicals.map((p) => p.number));
      logicalSpecs.forEach((spec, i) => {
        if (spec.number !== lastForeign + 1 + i) problems.push(`logical partitions are numbered in order after the existing ones: expected ${lastForeign + 1 + i}, the layout has ${spec.number}`);
      });
      let lcursor = Math.max(ext.start - 1, ...foreignLogicals.map(end));
      for (const spec of logicalSpecs) {
        const p = place(spec, alignUp(lcursor + 2), end(ext), `the extended partition ${ext.number}`, () => end(ext));
        if (!p) continue;
        if (p.start <= ext.start) problems.push(`${show(p, ss)} must start after the extended partition's first sector (${ext.start}), which holds its EBR`);
        lcursor = end(p);
      }
      const logicals: Array<{ number: number; start: number; size: number; type: string }> = [...foreignLogicals, ...placed.filter((p) => p.number > 4)].sort((a, b) => a.start - b.start);
      for (let i = 0; i < logicals.length; i++) {
        for (let j = i + 1; j < logicals.length; j++) {
          const [a, b] = [logicals[i]!, logicals[j]!];
          if (overlaps(a, b) || b.start < end(a) + 2) problems.push(`${pair(a, b)} (or leaves no sector for the EBR)`);
        }
      }
      for (const p of placed.filter((x) => x.number > 4)) {
        if (foreignLogicals.some((f) => f.start > p.start)) problems.push(`${show(p, ss)} would come before existing logical partitions; new logical partitions go after them`);
      }
    }
  }

  // Partitions the table already has under a layout number must be exactly what the layout says.
  const create: Placed[] = [];
  const present: Placed[] = [];
  for (const p of placed) {
    const now: TablePartition | undefined = table.partitions.find((x) => x.number === p.number);
    if (!now) create.push(p);
    else if (now.start === p.start && now.size === p.size && now.type === p.type && (now.bootable === p.bootable || layout.find((s) => s.number === p.number)!.bootable === undefined)) present.push(p);
    else problems.push(`the layout wants ${show(p, ss)}, but the disk has ${show(now, ss)}`);
  }
  if (problems.length > 0) throw new LayoutError(problems, showTable(table));
  return { create, present };
}

/** One sfdisk script line for `sfdisk -N n`. */
export function scriptLine(p: Placed): string {
  return `start=${p.start}, size=${p.size}, type=${p.type}${p.bootable ? ", bootable" : ""}`;
}
