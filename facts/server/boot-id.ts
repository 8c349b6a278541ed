// server.boot_id: the kernel's random id for this boot; it changes on every boot, so it tells a reboot happened.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";

export const BOOT_ID_COMMAND = "cat /proc/sys/kernel/random/boot_id";

export function parseBootId(stdout: string): string {
  const id = stdout.trim();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw new FactUnavailable(`/proc/sys/kernel/random/boot_id is unreadable or not a UUID (${JSON.stringify(id.slice(0, 60))})`);
  }
  return id;
}

export const bootId = defineFact<string>({
  name: "server.boot_id",
  command: BOOT_ID_COMMAND,
  parse: (output) => parseBootId(output.stdout),
});
