// The cached "old server" disk VM hosts boot from (built by scripts/vm/debian-disk.sh), and where its root partition lies.
import { access, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PineError } from "../../errors.js";
import { runLocal } from "../local-command.js";

const SCRIPT = join("scripts", "vm", "debian-disk.sh");
/** mmdebstrap with a kernel takes ~70 s here; a slow mirror or a loaded machine far more, but not forever. */
const BUILD_TIMEOUT_SECONDS = 1_800;

/** scripts/vm/debian-disk.sh of this checkout, found upwards from this module (src/lab/vm or dist/src/lab/vm). */
export async function vmDiskScript(): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, SCRIPT);
    if (await access(candidate).then(() => true, () => false)) return candidate;
    dir = dirname(dir);
  }
  throw new PineError(`cannot find ${SCRIPT} above ${dirname(fileURLToPath(import.meta.url))}`, {
    step: "find the VM disk build script",
    hint: "VM hosts need pine's source checkout (the script is not part of the npm package)",
  });
}

/** The cached disk's path, building it first unless cached (a no-op then). Its name is keyed by the recipe. */
export async function ensureVmDisk(): Promise<string> {
  const script = await vmDiskScript();
  // GNU timeout signals the whole process group, so mmdebstrap and apt go too; the script's trap cleans up.
  const { stdout } = await runLocal("timeout", ["-k", "30", String(BUILD_TIMEOUT_SECONDS), "bash", script], {
    step: "build the Debian disk for VM hosts",
    timeoutMs: (BUILD_TIMEOUT_SECONDS + 60) * 1_000,
  });
  const path = stdout.trim().split("\n").pop() ?? "";
  if (!path.endsWith(".img")) throw new PineError(`${script} printed no disk path`, { step: "build the VM disk", stderr: stdout });
  return path;
}

/** Whether the current recipe's disk is built already (so starting a VM will not spend a minute or more building it). */
export async function isVmDiskCached(): Promise<boolean> {
  const { stdout } = await runLocal("bash", [await vmDiskScript(), "--path"], { step: "locate the VM disk" });
  return access(stdout.trim()).then(() => true, () => false);
}

export interface DiskPartition {
  /** Byte offset of the partition from the start of the disk. */
  offset: number;
  size: number;
}

const SECTOR = 512;
const ENTRY_OFFSET = 446;
const ENTRY_SIZE = 16;

/** Partition `number` (1-4) of an MBR's first sector: start and size from its table entry. Pure, for tests. */
export function parseMbrPartition(sector: Buffer, number = 1): DiskPartition | undefined {
  if (sector.length < SECTOR || sector[510] !== 0x55 || sector[511] !== 0xaa) return undefined;
  const entry = ENTRY_OFFSET + (number - 1) * ENTRY_SIZE;
  const type = sector[entry + 4];
  const start = sector.readUInt32LE(entry + 8);
  const sectors = sector.readUInt32LE(entry + 12);
  if (type === 0 || sectors === 0) return undefined;
  return { offset: start * SECTOR, size: sectors * SECTOR };
}

/** The root partition (vda1) of a disk image, read from its MBR. */
export async function readRootPartition(disk: string): Promise<DiskPartition> {
  const file = await open(disk, "r");
  try {
    const sector = Buffer.alloc(SECTOR);
    await file.read(sector, 0, SECTOR, 0);
    const partition = parseMbrPartition(sector, 1);
    if (!partition) throw new PineError(`${disk} has no MBR with a first partition`, { step: "find the VM's root partition" });
    return partition;
  } finally {
    await file.close();
  }
}
