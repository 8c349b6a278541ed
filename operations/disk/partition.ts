// disk.partition: a dos partition layout on a disk, written with sfdisk scripts (never typed fdisk keys). Partitions
// already there stay untouched: each missing one is added with `sfdisk -N n`, only after checking that the table is
// still the one the plan was made from. A layout that overlaps what is there or does not fit is refused, showing both.
import { UsageError } from "../../src/errors.js";
import { defineOperation, type Step } from "../../src/operations/define.js";
import { command, quote } from "../../src/shell.js";
import { partitions, type PartitionTable } from "../../facts/block/partitions.js";
import { requireAbsolute } from "../files/path.js";
import { LayoutError, placeLayout, scriptLine, show, type PartitionSpec, type Placed } from "./layout.js";

export interface PartitionArgs {
  /** The disk (or a disk image file). */
  device: string;
  /** Only dos (MBR) tables: pine's image is an MBR disk. */
  label: "dos";
  layout: PartitionSpec[];
  /**
   * The disk has mounted partitions (the hijack install partitions the disk it runs from): skip sfdisk's in-use check
   * (`--no-reread`). The kernel then keeps its old table; reach new partitions through loop devices by offset.
   */
  inUse?: boolean;
}

const NAME = "disk.partition";

function check(a: PartitionArgs): string {
  const device = requireAbsolute(a.device, NAME);
  if (a.label !== "dos") throw new UsageError(`${NAME} ${device}: label must be "dos", got ${JSON.stringify(a.label)}`);
  if (!Array.isArray(a.layout) || a.layout.length === 0) throw new UsageError(`${NAME} ${device}: layout must list at least one partition`);
  return device;
}

function newerSfdisk(version: string | null): boolean {
  const [major = 0, minor = 0] = (version ?? "0.0").split(".").map(Number);
  return major > 2 || (major === 2 && minor >= 26);
}

/**
 * The host script: refuse if `sfdisk -d` no longer prints the dump the plan was made from, create the dos label on a
 * blank disk, then add each partition with `sfdisk -N`, which leaves every other partition as it is.
 */
export function partitionScript(device: string, table: PartitionTable, create: readonly Placed[], inUse: boolean): string {
  const d = quote(device);
  const flags = inUse ? ["--no-reread"] : [];
  const lines = ["set -e"];
  if (table.label === null) {
    lines.push(
      `if sfdisk -d ${d} >/dev/null 2>&1; then echo ${quote(`${NAME}: ${device} has a partition table now; it had none when pine planned: refusing to write`)} >&2; exit 3; fi`,
      `printf 'label: dos\\n' | ${command("sfdisk", "-q", ...flags, device)}`,
    );
  } else {
    // The dump is compared byte for byte: the table must be exactly the one the layout was checked against.
    lines.push(
      `pine_now=$(sfdisk -d ${d})`,
      `if [ "$pine_now" != ${quote(table.dump)} ]; then echo ${quote(`${NAME}: the partition table of ${device} changed since pine read it; refusing to write`)} >&2; exit 3; fi`,
    );
  }
  for (const p of create) lines.push(`printf '%s\\n' ${quote(scriptLine(p))} | ${command("sfdisk", "-q", ...flags, "-N", p.number, device)}`);
  return lines.join("\n");
}

export const partition = defineOperation<PartitionArgs>({
  name: NAME,
  describe: (a) => `${a.device} has the partitions ${a.layout?.map((p) => p.number).join(", ")}`,
  facts: (a) => [partitions(check(a))],
  async plan(host, a) {
    const device = check(a);
    const table = await host.fact(partitions(device));
    if (table.label !== null && table.label !== "dos") throw new Error(`${NAME}: ${device} holds a ${table.label} partition table; pine writes dos tables only and will not convert it`);
    let placed: ReturnType<typeof placeLayout>;
    try {
      placed = placeLayout(table, a.layout);
    } catch (error) {
      if (error instanceof LayoutError) throw new Error(`${NAME}: refusing the layout for ${device}: ${error.message}`);
      throw new UsageError(`${NAME} ${device}: ${(error as Error).message}`);
    }
    if (placed.create.length === 0) return { description: `${device} has partitions ${placed.present.map((p) => p.number).join(", ")} as laid out`, steps: [] };
    if (!newerSfdisk(table.sfdiskVersion)) {
      throw new Error(`${NAME}: ${device}: this host's sfdisk is ${table.sfdiskVersion ?? "of unknown version"}; pine writes sfdisk ≥ 2.26 scripts (an older sfdisk reads another language). Run it with a newer util-linux`);
    }
    const step: Step = {
      command: partitionScript(device, table, placed.create, a.inUse === true),
      display: `sfdisk ${device}: ${table.label === null ? "new dos label, then " : ""}${placed.create.map((p) => `-N ${p.number} '${scriptLine(p)}'`).join("; ")}`,
    };
    return {
      description: `${table.label === null ? "write a dos label and " : ""}add to ${device}: ${placed.create.map((p) => show(p, table.sectorSize)).join("; ")}`,
      steps: [step],
      invalidates: ["block.*"],
    };
  },
});
