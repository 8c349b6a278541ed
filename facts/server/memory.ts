// server.memory: total and available RAM from /proc/meminfo (MemAvailable estimated on kernels before 3.14).
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines } from "../output.js";

export interface Memory {
  totalBytes: number;
  /** MemAvailable; on kernels without it (3.13, Ubuntu 14.04) MemFree + Buffers + Cached + SReclaimable. */
  availableBytes: number;
  swapTotalBytes: number;
}

export const memory = defineFact<Memory>({
  name: "server.memory",
  command: "cat /proc/meminfo",
  parse(output) {
    requireSmall(output, "server.memory", 64 * 1024);
    const kb = new Map<string, number>();
    for (const line of splitLines(output.stdout)) {
      const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?: kB)?$/.exec(line.trim());
      if (m) kb.set(m[1]!, Number(m[2]));
    }
    const total = kb.get("MemTotal");
    if (total === undefined) throw new FactUnavailable("/proc/meminfo has no MemTotal");
    const available = kb.get("MemAvailable") ?? (kb.get("MemFree") ?? 0) + (kb.get("Buffers") ?? 0) + (kb.get("Cached") ?? 0) + (kb.get("SReclaimable") ?? 0);
    return { totalBytes: total * 1024, availableBytes: available * 1024, swapTotalBytes: (kb.get("SwapTotal") ?? 0) * 1024 };
  },
});
