// boot.firmware: BIOS or UEFI boot (pine's disk image boots with BIOS/MBR only).
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines } from "../output.js";

export type Firmware = "bios" | "uefi";

export const firmware = defineFact<Firmware>({
  name: "boot.firmware",
  command: `if [ -d /sys/firmware/efi ]; then echo uefi; elif [ -d /sys/firmware ]; then echo bios; else echo none; fi`,
  parse(output) {
    requireSmall(output, "boot.firmware", 1024);
    const word = splitLines(output.stdout)[0]?.trim();
    if (word === "uefi" || word === "bios") return word;
    throw new FactUnavailable("no /sys/firmware: cannot tell BIOS from UEFI (a container, or sysfs not mounted)");
  },
});
