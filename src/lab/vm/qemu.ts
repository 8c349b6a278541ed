// The qemu command line of a VM host, and why it runs under TCG rather than KVM here.
import type { VmFiles } from "./layout.js";
import type { VmNames } from "./names.js";

export const QEMU = "qemu-system-x86_64";

export type VmAccel = "tcg" | "kvm";

/** Printed when a VM starts: boots take 20-75 s under TCG, and whoever waits should know why. */
export const ACCEL_NOTES: Record<VmAccel, string> = {
  tcg:
    "KVM is not used: /dev/kvm on these machines is a paravirtual variant that cannot boot a stock Debian kernel " +
    "(it hangs or fails on MSRs, see LAB-NOTES.md); qemu emulates the CPU with TCG (-accel tcg,thread=multi), " +
    "so a boot to SSH takes 20-75 s",
  kvm: "KVM is used (-accel kvm), as asked",
};

export interface QemuSettings {
  names: VmNames;
  files: VmFiles;
  accel: VmAccel;
  memoryMiB: number;
}

/**
 * The arguments after the program name. `-no-reboot` makes qemu exit when the guest reboots, so the
 * supervisor sees every reboot and relaunches on the same disk (what the flashed system boots from).
 * The console is appended to, not truncated, so the log holds every boot of the VM in order.
 */
export function qemuArgs(settings: QemuSettings): string[] {
  const { names, files } = settings;
  return [
    "-name", names.namespace,
    "-accel", settings.accel === "kvm" ? "kvm" : "tcg,thread=multi",
    "-m", String(settings.memoryMiB),
    "-smp", "1",
    "-nographic",
    "-monitor", "none",
    "-chardev", `file,id=console,path=${files.console},append=on`,
    "-serial", "chardev:console",
    "-no-reboot",
    "-drive", diskOption(files),
    "-netdev", `tap,ifname=${names.tap},script=no,downscript=no,id=n0`,
    "-device", `virtio-net-pci,netdev=n0,mac=${names.mac}`,
  ];
}

/** The `-drive` value: also how this VM's qemu is recognised among all processes (no other VM has this disk). */
export function diskOption(files: VmFiles): string {
  return `file=${files.disk},format=raw,if=virtio`;
}
