// Lock operations: take and give back a slot of a named semaphore (the rolling upgrade's reboot lock).
// The lock itself comes from src/lock (createLock: embedded or etcd); these report waiting and --dry.
export { acquire, waitingMessage, type AcquireArgs } from "./acquire.js";
export { release, type ReleaseArgs } from "./release.js";
