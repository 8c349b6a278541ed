// disk.loop_attach / disk.loop_detach: a loop device over a file (or a slice of it, by offset and size — this is
// how partitions are reached on kernels whose loop devices never show partition nodes), and detaching ONLY the
// loops over a given file, never every loop on the host (`losetup -D`).
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { command, quote } from "../../src/shell.js";
import { loops, type LoopDevice } from "../../facts/block/loops.js";
import { requireAbsolute } from "../files/path.js";

export interface LoopAttachArgs {
  /** The backing file or device, as its canonical absolute path (the kernel reports it so). */
  file: string;
  /** Bytes into the file where the device starts (default 0). */
  offset?: number;
  /** Bytes the device spans (default: to the end). */
  sizeLimit?: number;
  readOnly?: boolean;
  /** Ask the kernel to scan a partition table (`-P`); partition nodes may appear late or never. */
  partscan?: boolean;
}

export interface LoopDetachArgs {
  file: string;
  /** Only the loop at this offset (default: every loop over the file). */
  offset?: number;
}

function bytes(value: number | undefined, name: string, where: string): number {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value) || value < 0) throw new UsageError(`${where}: ${name} must be a whole number of bytes >= 0, got ${value}`);
  return value;
}

/** The attached loop over `file` at `offset` (and size limit), if any: how a deploy finds the device it attached. */
export function findLoop(all: readonly LoopDevice[], file: string, offset = 0, sizeLimit = 0): LoopDevice | undefined {
  return all.find((l) => l.backingFile === file && l.offset === offset && l.sizeLimit === sizeLimit);
}

export function attachCommand(file: string, offset: number, sizeLimit: number, readOnly: boolean, partscan: boolean): string {
  const gnu = command("losetup", "-f", "--show", ...(offset ? ["-o", offset] : []), ...(sizeLimit ? ["--sizelimit", sizeLimit] : []), ...(readOnly ? ["-r"] : []), ...(partscan ? ["-P"] : []), "--", file);
  // busybox losetup has no --show and (in older versions) no --sizelimit.
  const busybox = sizeLimit
    ? `echo ${quote("this host's losetup (busybox) has no --sizelimit; install util-linux or attach without sizeLimit")} >&2; exit 1`
    : command("losetup", ...(offset ? ["-o", offset] : []), ...(readOnly ? ["-r"] : []), ...(partscan ? ["-P"] : []), "-f", file);
  return `if losetup --version 2>/dev/null | grep -q util-linux; then ${gnu}; else ${busybox}; fi`;
}

export const loopAttach = defineOperation<LoopAttachArgs>({
  name: "disk.loop_attach",
  describe: (a) => `loop device over ${a.file}${a.offset ? ` at offset ${a.offset}` : ""}${a.sizeLimit ? ` (${a.sizeLimit} bytes)` : ""}`,
  facts: () => [loops],
  async plan(host, a) {
    const file = requireAbsolute(a.file, "disk.loop_attach");
    const offset = bytes(a.offset, "offset", "disk.loop_attach");
    const sizeLimit = bytes(a.sizeLimit, "sizeLimit", "disk.loop_attach");
    const found = findLoop(await host.fact(loops), file, offset, sizeLimit);
    if (found) {
      if (a.readOnly !== undefined && found.readOnly !== a.readOnly) throw new Error(`disk.loop_attach: ${found.device} over ${file} is ${found.readOnly ? "read-only" : "writable"}; detach it first`);
      return null;
    }
    return {
      description: `attach a loop device over ${file}${offset ? ` at offset ${offset}` : ""}${sizeLimit ? `, ${sizeLimit} bytes` : ""}${a.readOnly ? ", read-only" : ""}`,
      steps: [{ command: attachCommand(file, offset, sizeLimit, a.readOnly === true, a.partscan === true) }],
      invalidates: ["block.*"],
    };
  },
});

export const loopDetach = defineOperation<LoopDetachArgs>({
  name: "disk.loop_detach",
  describe: (a) => `no loop device over ${a.file}${a.offset !== undefined ? ` at offset ${a.offset}` : ""}`,
  facts: () => [loops],
  async plan(host, a) {
    const file = requireAbsolute(a.file, "disk.loop_detach");
    const offset = a.offset === undefined ? undefined : bytes(a.offset, "offset", "disk.loop_detach");
    const mine = (await host.fact(loops)).filter((l) => (l.backingFile === file || l.backingFile === `${file} (deleted)`) && (offset === undefined || l.offset === offset));
    if (mine.length === 0) return null;
    return {
      description: `detach ${mine.map((l) => l.device).join(", ")} (over ${file})`,
      steps: mine.map((l) => ({ command: command("losetup", "-d", l.device) })),
      invalidates: ["block.*"],
    };
  },
});
