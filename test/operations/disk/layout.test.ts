// Placing dos layouts beside existing partitions (pure): DESIGN step 7's /var + /share with external logs after the
// image's p1-p3, idempotency once created, and refusals that show both the layout and the table.
import { describe, expect, it } from "vitest";
import { placeLayout, scriptLine, type PartitionSpec } from "../../../operations/disk/layout.js";
import type { PartitionTable, TablePartition } from "../../../facts/block/partitions.js";

const GiB = 1024 * 1024 * 1024;
const part = (number: number, start: number, size: number, type = "83", bootable = false): TablePartition => ({ number, node: `/dev/vda${number}`, start, size, type, bootable });
/** pine's image: p1 40 MiB /boot, p2 24 MiB swap, p3 447 MiB /sysroot. */
const image = [part(1, 2048, 81920, "83", true), part(2, 83968, 49152, "82"), part(3, 133120, 915456)];
const table = (partitions: TablePartition[], sizeBytes = 20 * GiB, label: string | null = "dos"): PartitionTable => ({
  device: "/dev/vda",
  sizeBytes,
  sectorSize: 512,
  label,
  labelId: "0x1234",
  partitions,
  sfdiskVersion: "2.38.1",
  dump: "",
});
/** DESIGN step 7: extended p4, /var 5 GiB with a 128 MiB log, /share's log, /share on the rest. */
const step7: PartitionSpec[] = [
  { number: 4, type: "5", size: "rest" },
  { number: 5, type: "83", size: { mib: 5120 } },
  { number: 6, type: "83", size: { mib: 128 } },
  { number: 7, type: "83", size: { mib: 128 } },
  { number: 8, type: "83", size: "rest" },
];

describe("placeLayout", () => {
  it("puts DESIGN's step 7 after the image: extended to the end, logicals 1 MiB-aligned with room for each EBR", () => {
    const plan = placeLayout(table(image), step7);
    const last = (20 * GiB) / 512 - 1;
    expect(plan.present).toEqual([]);
    expect(plan.create.map((p) => [p.number, p.start, p.size, p.type])).toEqual([
      [4, 1048576, last - 1048576 + 1, "5"],
      [5, 1050624, 10485760, "83"],
      [6, 11538432, 262144, "83"],
      [7, 11802624, 262144, "83"],
      [8, 12066816, last - 12066816 + 1, "83"],
    ]);
    expect(scriptLine(plan.create[1]!)).toBe("start=1050624, size=10485760, type=83");
  });

  it("is a no-op once the table holds the layout, and adds only what is missing", () => {
    const all = placeLayout(table(image), step7).create.map((p) => part(p.number, p.start, p.size, p.type));
    expect(placeLayout(table([...image, ...all]), step7)).toEqual({ create: [], present: expect.any(Array) });
    const half = placeLayout(table([...image, ...all.slice(0, 2)]), step7);
    expect(half.create.map((p) => p.number)).toEqual([6, 7, 8]);
    expect(half.create[0]!.start).toBe(11538432);
  });

  it("places explicit starts and sizes in sectors, and a bootable primary on a blank disk", () => {
    const plan = placeLayout(table([], 64 * 1024 * 1024, null), [
      { number: 1, start: { sectors: 2048 }, size: { sectors: 4096 }, type: "0x83", bootable: true },
      { number: 2, size: "rest", type: "82" },
    ]);
    expect(plan.create).toEqual([
      { number: 1, start: 2048, size: 4096, type: "83", bootable: true },
      { number: 2, start: 6144, size: 131072 - 6144, type: "82", bootable: false },
    ]);
  });

  it("refuses an overlap with an existing partition, showing both and the table", () => {
    const go = () => placeLayout(table(image), [{ number: 4, start: { mib: 400 }, size: { mib: 100 }, type: "83" }]);
    expect(go).toThrow(/partition 4: sectors 819200-1023999 \(204800 sectors, 100 MiB\), type 83 overlaps existing partition 3: sectors 133120-1048575 \(915456 sectors, 447 MiB\), type 83/);
    expect(go).toThrow(/current table:\n {4}\/dev\/vda: 21474836480 bytes, 41943040 sectors of 512, dos partition table\n {4}partition 1: sectors 2048-83967/);
  });

  it("refuses what does not fit, a second extended, logicals without one, and a changed existing partition", () => {
    expect(() => placeLayout(table(image, GiB), [{ number: 4, size: { mib: 1024 }, type: "83" }])).toThrow(/partition 4: sectors 1048576-3145727 .* does not fit: the disk ends at sector 2097151/);
    expect(() => placeLayout(table([...image, part(4, 1048576, 4096, "5")]), [{ number: 5, size: { mib: 4 }, type: "83" }])).toThrow(/does not fit: the extended partition 4 ends at sector 1052671/);
    expect(() => placeLayout(table(image.slice(0, 2)), [{ number: 3, size: { mib: 8 }, type: "5" }, { number: 4, size: { mib: 8 }, type: "f" }])).toThrow(/one extended partition, this would make 2 \(3, 4\)/);
    expect(() => placeLayout(table(image), [{ number: 5, size: { mib: 8 }, type: "83" }])).toThrow(/logical partitions 5 need an extended partition/);
    expect(() => placeLayout(table(image), [{ number: 3, size: { mib: 100 }, type: "83" }])).toThrow(
      /the layout wants partition 3: sectors 133120-337919 \(204800 sectors, 100 MiB\), type 83, but the disk has partition 3: sectors 133120-1048575 \(915456 sectors, 447 MiB\), type 83/,
    );
    expect(() => placeLayout(table(image), [{ number: 4, type: "5", size: "rest" }, { number: 6, type: "83", size: { mib: 1 } }])).toThrow(/expected 5, the layout has 6/);
    expect(() => placeLayout(table(image), [{ number: 4, type: "83", size: "rest" }, { number: 4, type: "83", size: "rest" }])).toThrow(/appears twice/);
    expect(() => placeLayout(table(image), [{ number: 4, type: "5", size: "rest" }, { number: 5, type: "83", size: "rest" }, { number: 6, type: "83", size: { mib: 1 } }])).toThrow(/"rest" is only for the last partition/);
    expect(() => placeLayout(table(image), [{ number: 4, type: "linux", size: "rest" }])).toThrow(/type must be a dos type code/);
  });
});
