// disk.loop_attach / disk.loop_detach: a loop device over a file or a disk (whole, or one partition by offset and
// size: partition nodes of a loop device appear late or never, a loop per partition works everywhere), and freeing
// exactly the ones pine attached. util-linux losetup is called by full path; busybox's has no --show nor --sizelimit.
import { UsageError } from "../../src/errors.js";
import { defineOperation, type OperationResult } from "../../src/operations/define.js";
import type { HostContext } from "../../src/host.js";
import { command, quote } from "../../src/shell.js";
import { losetup, type LosetupTool } from "../../facts/block/losetup.js";
import { loops, type LoopDevice } from "../../facts/block/loops.js";
import { file } from "../../facts/files/file.js";
import { splitLines } from "../../facts/output.js";
import { requireAbsolute } from "../files/path.js";
import { loopRecord, type AttachedLoop } from "./loops-attached.js";

export interface LoopAttachArgs {
  /** A regular file to attach (an image, a sparse test disk). Give `file` or `device`. */
  file?: string;
  /** A block device to attach (a whole disk whose partitions the kernel will not re-read while it is in use). */
  device?: string;
  /** Bytes into the backing file where the loop device starts (a partition's start × sector size). */
  offset?: number;
  /** Bytes the loop device spans (a partition's size); default: to the end. */
  sizeLimit?: number;
  /** Ask the kernel to scan the loop device for partitions (loopNp1...). Some kernels never create the nodes. */
  partscan?: boolean;
  readOnly?: boolean;
}

/** The operation's result plus the loop device it attached or found; null under --dry (nothing was attached). */
export interface LoopAttachResult extends OperationResult {
  loop: string | null;
}

export interface LoopDetachArgs {
  /** The loop device pine attached in this run, e.g. "/dev/loop3". Give `device` or `file`. */
  device?: string;
  /** Every loop device pine attached in this run over this backing file (at `offset`, when given). */
  file?: string;
  offset?: number;
}

interface Wanted {
  backing: string;
  kind: "file" | "device";
  offset: number;
  sizeLimit: number;
  partscan: boolean;
  readOnly: boolean;
}

const ATTACH = "disk.loop_attach";
const DETACH = "disk.loop_detach";

function byteCount(value: unknown, name: string, where: string): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new UsageError(`${where}: ${name} must be a whole number of bytes ≥ 0, got ${JSON.stringify(value)}`);
  return value;
}

function wanted(a: LoopAttachArgs): Wanted {
  if ((a.file === undefined) === (a.device === undefined)) throw new UsageError(`${ATTACH}: give exactly one of file or device`);
  const kind = a.file !== undefined ? "file" : "device";
  const backing = requireAbsolute(a.file ?? a.device, ATTACH);
  return {
    backing,
    kind,
    offset: byteCount(a.offset, "offset", `${ATTACH} ${backing}`),
    sizeLimit: byteCount(a.sizeLimit, "sizeLimit", `${ATTACH} ${backing}`),
    partscan: a.partscan === true,
    readOnly: a.readOnly === true,
  };
}

function describeWanted(w: Wanted): string {
  const parts = [w.offset ? `offset ${w.offset}` : "", w.sizeLimit ? `size ${w.sizeLimit}` : "", w.partscan ? "partscan" : "", w.readOnly ? "read-only" : ""].filter(Boolean);
  return `a loop device over ${w.backing}${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

/** The host script that attaches and prints the loop device, then its backing file as the kernel reports it. */
export function attachCommand(tool: LosetupTool, w: Wanted): string {
  const lines = ["set -e"];
  if (w.kind === "device") lines.push(`[ -b ${quote(w.backing)} ] || { echo ${quote(`${ATTACH}: ${w.backing} is not a block device`)} >&2; exit 2; }`);
  else lines.push(`[ -f ${quote(w.backing)} ] || { echo ${quote(`${ATTACH}: ${w.backing} is not a regular file`)} >&2; exit 2; }`);
  if (tool.utilLinux) {
    const opts = [...(w.offset ? ["-o", w.offset] : []), ...(w.sizeLimit ? ["--sizelimit", w.sizeLimit] : []), ...(w.partscan ? ["-P"] : []), ...(w.readOnly ? ["-r"] : [])];
    lines.push(`pine_dev=$(${command(tool.utilLinux, "--show", "-f", ...opts, "--", w.backing)})`);
  } else if (tool.fallback) {
    // busybox: -f only names the next free device; another process may take it first, so try a few times.
    const opts = [...(w.readOnly ? ["-r"] : []), ...(w.partscan ? ["-P"] : []), ...(w.offset ? ["-o", w.offset] : [])].map(quote).join(" ");
    lines.push(
      `pine_try=0`,
      `while :; do`,
      `  pine_dev=$(${tool.fallback} -f)`,
      `  if ${tool.fallback} ${opts ? `${opts} ` : ""}"$pine_dev" ${quote(w.backing)}; then break; fi`,
      `  pine_try=$((pine_try + 1)); [ "$pine_try" -lt 5 ] || exit 1`,
      `done`,
    );
  } else {
    throw new Error(`${ATTACH}: the host has no losetup (neither util-linux nor busybox)`);
  }
  lines.push(`printf '%s\\n' "$pine_dev"`, `cat "/sys/block/\${pine_dev#/dev/}/loop/backing_file"`);
  return lines.join("\n");
}

const attachSpec = defineOperation<LoopAttachArgs & { readonly out: { loop: string | null } }>({
  name: ATTACH,
  describe: (a) => describeWanted(wanted(a)),
  facts: (a) => [loops, losetup, file(wanted(a).backing)],
  async plan(host, a) {
    const w = wanted(a);
    const [attached, tool, stat] = await host.facts(loops, losetup, file(w.backing));
    if (!stat) throw new Error(`${ATTACH}: ${w.backing} does not exist`);
    if (w.kind === "file" && stat.type !== "file") throw new Error(`${ATTACH}: ${w.backing} is a ${stat.type}, not a regular file (use device: for block devices)`);
    if (w.kind === "device" && stat.type !== "other") throw new Error(`${ATTACH}: ${w.backing} is a ${stat.type}, not a block device (use file: for files)`);
    // Attached earlier in this run with the same geometry and still there: that one is the answer.
    for (const rec of loopRecord(host).values()) {
      const live = attached.find((l) => l.device === rec.loop);
      if (!live || live.backingFile !== rec.backing || live.offset !== rec.offset || live.sizeLimit !== rec.sizeLimit) continue;
      if (rec.offset === w.offset && rec.sizeLimit === w.sizeLimit && rec.partscan === w.partscan && rec.readOnly === w.readOnly && sameBacking(rec.backing, w.backing)) {
        a.out.loop = rec.loop;
        return { description: `${rec.loop} is attached over ${rec.backing} (by pine, earlier in this run)`, steps: [] };
      }
    }
    if (w.sizeLimit && !tool.utilLinux) throw new Error(`${ATTACH}: sizeLimit needs util-linux losetup, and the host has only busybox's (no --sizelimit)`);
    return {
      description: `attach ${describeWanted(w)}`,
      steps: [
        {
          command: attachCommand(tool, w),
          onResult(result) {
            if (result.exitCode !== 0) return;
            const [loop, backing] = splitLines(result.stdout);
            if (!loop || !/^\/dev\/loop\d+$/.test(loop)) throw new Error(`${ATTACH}: losetup did not print a loop device (stdout: ${JSON.stringify(result.stdout.slice(0, 200))})`);
            a.out.loop = loop;
            loopRecord(host).set(loop, { loop, backing: backing ?? w.backing, offset: w.offset, sizeLimit: w.sizeLimit, partscan: w.partscan, readOnly: w.readOnly });
          },
        },
      ],
      invalidates: ["block.loops", "block.devices"],
    };
  },
});

/** The kernel reports the canonical path of a backing file; a caller may have used a path with `//` or a trailing `/`. */
function sameBacking(kernel: string, asked: string): boolean {
  return kernel.replace(/\/+/g, "/") === asked.replace(/\/+/g, "/");
}

/** Attach a loop device; the result's `loop` names it ("/dev/loop3"), null under --dry. */
export const loop_attach: ((host: HostContext, args: LoopAttachArgs) => Promise<LoopAttachResult>) & { readonly operationName: string } = Object.assign(
  async (host: HostContext, args: LoopAttachArgs): Promise<LoopAttachResult> => {
    const out = { loop: null as string | null };
    const result = await attachSpec(host, { ...args, out });
    return { ...result, loop: out.loop };
  },
  { operationName: ATTACH },
);

/** The attached loop over `file` at `offset` (and size limit) in a block.loops value, if any. */
export function findLoop(all: readonly LoopDevice[], file: string, offset = 0, sizeLimit = 0): LoopDevice | undefined {
  return all.find((l) => l.backingFile === file && l.offset === offset && l.sizeLimit === sizeLimit);
}

function loopName(value: unknown): string {
  if (typeof value !== "string" || !/^\/dev\/loop\d+$/.test(value)) throw new UsageError(`${DETACH}: device must be a loop device like /dev/loop3, got ${JSON.stringify(value)}`);
  return value;
}

/** Which recorded loops the arguments name: one device, or pine's loops over a file. */
function targets(host: HostContext, a: LoopDetachArgs): { names: string[]; what: string } {
  if ((a.device === undefined) === (a.file === undefined)) throw new UsageError(`${DETACH}: give exactly one of device or file`);
  if (a.device !== undefined) {
    const loop = loopName(a.device);
    return { names: [loop], what: loop };
  }
  const file = requireAbsolute(a.file, DETACH);
  const offset = a.offset === undefined ? undefined : byteCount(a.offset, "offset", `${DETACH} ${file}`);
  const names = [...loopRecord(host).values()].filter((r) => sameBacking(r.backing, file) && (offset === undefined || r.offset === offset)).map((r) => r.loop);
  return { names, what: `pine's loop devices over ${file}${offset !== undefined ? ` at offset ${offset}` : ""}` };
}

export const loop_detach = defineOperation<LoopDetachArgs>({
  name: DETACH,
  describe: (a) => `${a.device ?? `pine's loop devices over ${a.file}`} detached`,
  facts: () => [loops, losetup],
  async plan(host, a) {
    const { names, what } = targets(host, a);
    const [attached, tool] = await host.facts(loops, losetup);
    const record = loopRecord(host);
    const steps: string[] = [];
    const gone: string[] = [];
    for (const loop of names) {
      const mine: AttachedLoop | undefined = record.get(loop);
      const live = attached.find((l) => l.device === loop);
      if (!live) {
        gone.push(loop);
        continue;
      }
      if (!mine) throw new UsageError(`${DETACH}: ${loop} is attached to ${live.backingFile}, but not by pine in this run: pine detaches only the loop devices it attached`);
      if (live.backingFile !== mine.backing || live.offset !== mine.offset) {
        throw new Error(`${DETACH}: ${loop} now backs ${live.backingFile} at offset ${live.offset}, not ${mine.backing} at ${mine.offset} as pine attached it: someone else detached and reused it; leaving it alone`);
      }
      steps.push(loop);
    }
    const forget = async (): Promise<void> => {
      for (const loop of [...gone, ...steps]) record.delete(loop);
    };
    if (steps.length === 0) return { description: `${what}: nothing attached`, steps: [], after: forget };
    const tool_ = tool.utilLinux ? quote(tool.utilLinux) : tool.fallback;
    if (!tool_) throw new Error(`${DETACH}: the host has no losetup`);
    return {
      description: `detach ${steps.map((l) => `${l} (${record.get(l)!.backing}${record.get(l)!.offset ? ` at offset ${record.get(l)!.offset}` : ""})`).join(", ")}`,
      steps: steps.map((loop) => ({ command: `${tool_} -d ${quote(loop)}` })),
      invalidates: ["block.loops", "block.devices"],
      after: forget,
    };
  },
});

/** Detach every loop device pine attached on this host in this run, newest first; for `finally` blocks. */
export async function detachAttachedLoops(host: HostContext): Promise<OperationResult[]> {
  const results: OperationResult[] = [];
  for (const rec of [...loopRecord(host).values()].reverse()) results.push(await loop_detach(host, { device: rec.loop }));
  return results;
}
