// The VM host's pure parts: names that fit interface limits, the MBR reader, the guest's network file, qemu's command line.
import { describe, expect, it } from "vitest";
import { parseMbrPartition } from "../../src/lab/vm/disk.js";
import { renderGuestInterfaces } from "../../src/lab/vm/guest-identity.js";
import { vmFiles } from "../../src/lab/vm/layout.js";
import { assertVmName, vmMac, vmNames } from "../../src/lab/vm/names.js";
import { qemuArgs } from "../../src/lab/vm/qemu.js";

describe("VM names", () => {
  it("keep every interface name within 15 characters and away from the lab's pine-LAB-I pattern", () => {
    const names = vmNames("abcdefghij");
    expect(names.veth).toBe("pvm-abcdefghij");
    expect(names.veth.length).toBeLessThanOrEqual(15);
    expect(names.namespace).toBe("pinevm-abcdefghij");
    expect(() => assertVmName("abcdefghijk")).toThrow(/1 to 10 characters/);
    expect(() => assertVmName("Vm1")).toThrow(/invalid VM name/);
  });

  it("give each VM its own stable, locally administered qemu MAC", () => {
    expect(vmMac("vm1")).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(vmMac("vm1")).toBe(vmMac("vm1"));
    expect(vmMac("vm1")).not.toBe(vmMac("vm2"));
  });
});

describe("parseMbrPartition", () => {
  const sector = (entries: Array<[type: number, start: number, sectors: number]>, signature = true) => {
    const buffer = Buffer.alloc(512);
    entries.forEach(([type, start, sectors], i) => {
      buffer[446 + i * 16 + 4] = type;
      buffer.writeUInt32LE(start, 446 + i * 16 + 8);
      buffer.writeUInt32LE(sectors, 446 + i * 16 + 12);
    });
    if (signature) buffer.set([0x55, 0xaa], 510);
    return buffer;
  };

  it("reads a partition's byte offset and size from its table entry", () => {
    const table = sector([[0x83, 2048, 6_289_408], [0x05, 6_291_456, 2048]]);
    expect(parseMbrPartition(table, 1)).toEqual({ offset: 1_048_576, size: 6_289_408 * 512 });
    expect(parseMbrPartition(table, 2)).toEqual({ offset: 6_291_456 * 512, size: 2048 * 512 });
    expect(parseMbrPartition(table, 3)).toBeUndefined();
  });

  it("refuses a sector without the MBR signature", () => {
    expect(parseMbrPartition(sector([[0x83, 2048, 100]], false))).toBeUndefined();
  });
});

describe("the guest's /etc/network/interfaces", () => {
  it("is a static eth0 stanza ifup -a brings up at boot", () => {
    const text = renderGuestInterfaces("10.77.5.11", 24, "10.77.5.1");
    expect(text).toContain("auto eth0\niface eth0 inet static\n\taddress 10.77.5.11/24\n\tgateway 10.77.5.1\n");
    expect(text).toContain("auto lo\niface lo inet loopback\n");
  });
});

describe("qemuArgs", () => {
  it("runs TCG, exits on guest reboot, appends the serial console and opens the namespace's tap", () => {
    const files = vmFiles("/tmp/pine-vm-x");
    const args = qemuArgs({ names: vmNames("x"), files, accel: "tcg", memoryMiB: 512 }).join(" ");
    expect(args).toContain("-accel tcg,thread=multi -m 512 -smp 1 -nographic");
    expect(args).toContain("-no-reboot");
    expect(args).toContain(`-chardev file,id=console,path=${files.console},append=on -serial chardev:console`);
    expect(args).toContain("-drive file=/tmp/pine-vm-x/disk.img,format=raw,if=virtio");
    expect(args).toContain("-netdev tap,ifname=tap0,script=no,downscript=no,id=n0");
    expect(args).toContain(`-device virtio-net-pci,netdev=n0,mac=${vmMac("x")}`);
  });

  it("refuses a VM dir that would break qemu's comma-separated options", () => {
    expect(() => vmFiles("/tmp/a,b")).toThrow(/invalid VM dir/);
  });
});
