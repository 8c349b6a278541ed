// A second controller in its own process: takes a slot of an etcd lock, prints "held", then holds it until
// killed. The tests SIGKILL it to prove a dead controller's slot frees itself when its lease's TTL runs out.
// Usage: node --import tsx holder.ts ENDPOINT PREFIX NAME MAX HOLDER TTL_SECONDS
import { createLock } from "../../../src/lock/index.js";

const [endpoint, prefix, name, max, holder, ttl] = process.argv.slice(2);
const lock = createLock({ backend: "etcd", endpoints: [endpoint!], prefix, ttlSeconds: Number(ttl) }, name!, Number(max));
const lease = await lock.acquire(holder!, { timeoutMs: 30_000 });
process.stdout.write(`held ${lease.holder}\n`);
// The lease's keep-alive timer does not keep a process alive on its own (by design); this does.
setInterval(() => undefined, 60_000);
