// disk.tmpfs: a tmpfs of a given size mounted at a path (a workspace that survives the old root disk being overwritten).
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { parseMode } from "../files/attributes.js";
import { mount } from "../server/mount.js";

export interface TmpfsArgs {
  path: string;
  /** e.g. "64m", "1g", or bytes; the kernel lists it in KiB, which is what gets compared. */
  size: string | number;
  mode?: number | string;
}

/** "64m" → "size=65536k", as /proc/mounts prints it. */
export function sizeOption(size: string | number): string {
  const m = /^(\d+)([kmg]?)$/i.exec(String(size).trim());
  if (!m) throw new UsageError(`disk.tmpfs: size must be like "64m", "1g" or a number of bytes, got ${JSON.stringify(size)}`);
  const factor = { "": 1 / 1024, k: 1, m: 1024, g: 1024 * 1024 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  const kib = Math.ceil(Number(m[1]) * factor);
  if (kib <= 0) throw new UsageError(`disk.tmpfs: size must be positive, got ${JSON.stringify(size)}`);
  return `size=${kib}k`;
}

export const tmpfs = async (host: Parameters<typeof mount>[0], a: TmpfsArgs) => {
  const mode = parseMode(a.mode, `disk.tmpfs ${a.path}`);
  return mount(host, { path: a.path, device: "tmpfs", fstype: "tmpfs", options: [sizeOption(a.size), ...(mode !== undefined ? [`mode=${mode.toString(8).padStart(3, "0")}`] : [])] });
};
