// server.uptime: seconds since boot, boot time and the kernel's boot id — a changed boot id proves a reboot happened.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { keyValues, requireSmall, splitLines } from "../output.js";

export interface Uptime {
  seconds: number;
  /** Boot time, seconds since the epoch (btime from /proc/stat); null if unreadable. */
  bootedAt: number | null;
  /** /proc/sys/kernel/random/boot_id: new on every boot; null where the kernel hides it (some containers). */
  bootId: string | null;
}

export const uptime = defineFact<Uptime>({
  name: "server.uptime",
  command: [
    `printf 'uptime=%s\\n' "$(cat /proc/uptime 2>/dev/null)"`,
    `printf 'btime=%s\\n' "$(sed -n 's/^btime //p' /proc/stat 2>/dev/null)"`,
    `printf 'boot_id=%s\\n' "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"`,
  ].join("\n"),
  parse(output) {
    requireSmall(output, "server.uptime", 4096);
    const kv = keyValues(splitLines(output.stdout));
    const m = /^(\d+(?:\.\d+)?)\s/.exec(`${kv.get("uptime") ?? ""} `);
    if (!m) throw new FactUnavailable("/proc/uptime is not readable");
    const btime = kv.get("btime") ?? "";
    const bootId = (kv.get("boot_id") ?? "").trim();
    return {
      seconds: Number(m[1]),
      bootedAt: /^\d+$/.test(btime) ? Number(btime) : null,
      bootId: /^[0-9a-f-]{36}$/i.test(bootId) ? bootId.toLowerCase() : null,
    };
  },
});
