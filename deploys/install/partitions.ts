// The disk after the image: pine's 512 MiB image in front, then an extended partition holding /var with an
// external XFS log and /share (the rest of the disk) with its own log — as an sfdisk script, checked to fit.
import { UsageError } from "../../src/errors.js";
import type { PartSizes } from "./config.js";

const MiB = 1024 * 1024;
const SECTOR = 512;
/** pine's image is a 512 MiB disk; its three partitions end inside it. */
export const IMAGE_BYTES = 512 * MiB;
/** The smallest /share worth creating. */
const MIN_SHARE = 256 * MiB;

export interface DataPartition {
  number: number;
  role: "var" | "var-log" | "share-log" | "share";
  startBytes: number;
  sizeBytes: number;
}

export interface DiskLayout {
  extended: { number: 4; startBytes: number; sizeBytes: number };
  partitions: DataPartition[];
  /** The sfdisk --append script that creates the extended and logical partitions. */
  sfdiskScript: string;
}

/** Logical partitions start 1 MiB after the previous one's start for their EBR; everything 1 MiB aligned. */
export function planDataPartitions(host: string, diskBytes: number, parts: PartSizes): DiskLayout {
  const extStart = IMAGE_BYTES;
  const need = extStart + 4 * MiB + parts.varBytes + parts.varLogBytes + parts.shareLogBytes + MIN_SHARE;
  if (diskBytes < need) {
    throw new UsageError(
      `host ${host}: the disk is ${gib(diskBytes)}, too small for the 512 MiB image + /var ${gib(parts.varBytes)} + logs ${gib(parts.varLogBytes + parts.shareLogBytes)} + at least ${gib(MIN_SHARE)} for /share (needs ${gib(need)})`,
      { hint: "use a smaller data.parts, e.g. 1G,64M,64M" },
    );
  }
  const end = Math.floor(diskBytes / MiB) * MiB;
  let cursor = extStart + MiB;
  const take = (role: DataPartition["role"], number: number, size: number): DataPartition => {
    const p = { number, role, startBytes: cursor, sizeBytes: size };
    cursor += size + MiB;
    return p;
  };
  const partitions = [take("var", 5, parts.varBytes), take("var-log", 6, parts.varLogBytes), take("share-log", 7, parts.shareLogBytes)];
  partitions.push({ number: 8, role: "share", startBytes: cursor, sizeBytes: end - cursor });
  const sectors = (b: number) => b / SECTOR;
  const script = [
    `start=${sectors(extStart)}, size=${sectors(end - extStart)}, type=5`,
    ...partitions.map((p) => `start=${sectors(p.startBytes)}, size=${sectors(p.sizeBytes)}, type=83`),
  ].join("\n");
  return { extended: { number: 4, startBytes: extStart, sizeBytes: end - extStart }, partitions, sfdiskScript: `${script}\n` };
}

export function gib(bytes: number): string {
  return bytes >= 1024 * MiB ? `${(bytes / 1024 / MiB).toFixed(1)} GiB` : `${Math.round(bytes / MiB)} MiB`;
}
