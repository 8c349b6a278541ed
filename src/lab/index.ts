// The lab: throwaway SSH test hosts (network namespace + veth on a bridge + own sshd) on this machine.
//
// A lab NAME (1-6 of [a-z0-9]) gives: bridge pb-NAME in the root namespace holding 10.77.K.1/24
// (K from a hash of NAME, moved on to the next free octet if another interface overlaps), and for
// host i: inventory name hI, namespace pine-NAME-I, veth pv-NAME-I (eth0 inside), address
// 10.77.K.(10+I), hostname hI (own UTS namespace), sshd on port 22 with its own ed25519 host key.
// A lab's kind (host-kind.ts) says what each host is made of: the machine's filesystem (plain), its own
// Debian root booted by systemd-nspawn under a relaunching supervisor (debian), or busybox only (busybox).
// Everything generated lives in the lab's dir; see state.ts for state.json, inventory-file.ts for
// inventory.yaml and known_hosts.
export { labUp, type LabUpOptions } from "./up.js";
export { labDown, type LabDownOptions } from "./down.js";
export { LAB_HOST_KINDS, assertHostKind, type LabHostKind } from "./host-kind.js";
export { ensureDebianRootfs, isDebianRootfsCached } from "./debian-rootfs.js";
export { REBOOT_EXIT_CODE, MAX_RELAUNCHES_PER_HOUR } from "./nspawn-supervisor.js";
export { labStatus, type LabStatus, type LabStatusOptions } from "./status.js";
export type { LabHostHealth } from "./lab-host.js";
export type { LabHostState, LabState } from "./state.js";
export { findLabProblems, assertLabPreconditions } from "./preconditions.js";
export { assertLabName, MAX_HOSTS } from "./names.js";
export { defaultLabDir } from "./layout.js";
