// The lab: throwaway SSH test hosts (network namespace + veth on a bridge + own sshd) on this machine.
//
// A lab NAME (1-6 of [a-z0-9]) gives: bridge pb-NAME in the root namespace holding 10.77.K.1/24
// (K from a hash of NAME, moved on to the next free octet if another interface overlaps), and for
// host i: inventory name hI, namespace pine-NAME-I, veth pv-NAME-I (eth0 inside), address
// 10.77.K.(10+I), hostname hI (own UTS namespace), sshd on port 22 with its own ed25519 host key.
// Everything generated lives in the lab's dir; see state.ts for state.json, inventory-file.ts for
// inventory.yaml and known_hosts.
export { labUp, type LabUpOptions } from "./up.js";
export { labDown, type LabDownOptions } from "./down.js";
export { labStatus, type LabStatus, type LabStatusOptions } from "./status.js";
export type { LabHostHealth } from "./lab-host.js";
export type { LabHostState, LabState } from "./state.js";
export { findLabProblems, assertLabPreconditions } from "./preconditions.js";
export { assertLabName, MAX_HOSTS } from "./names.js";
export { defaultLabDir } from "./layout.js";
