// VM hosts for the lab: a qemu VM booted from a cached Debian disk, bridged into a lab bridge, relaunched across guest reboots.
//
// A VM NAME (1-10 of [a-z0-9]) gives: namespace pinevm-NAME holding bridge br0 with tap0 (qemu's NIC) and
// `uplink`, the far end of veth pvm-NAME on the lab bridge; the guest's hostname NAME and eth0 with a static
// address; a supervisor that relaunches qemu when the guest reboots. Everything lives in the VM's dir (layout.ts).
export { startVmHost, stopVmHost, type StopVmHostOptions, type VmHost, type VmHostOptions } from "./vm-host.js";
export { waitForSsh, DEFAULT_SSH_WAIT_MS, type SshWaitOptions } from "./wait-for-ssh.js";
export { currentQemuPid, isVmSupervisorRunning, MAX_VM_RELAUNCHES_PER_HOUR } from "./supervisor.js";
export { ensureVmDisk, isVmDiskCached, readRootPartition, type DiskPartition } from "./disk.js";
export { assertVmName, vmNames, type VmNames } from "./names.js";
export { vmFiles, type VmFiles } from "./layout.js";
export { ACCEL_NOTES, type VmAccel } from "./qemu.js";
