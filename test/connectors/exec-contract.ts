// The exec half of the Connector contract, run against every connector (ssh over a real sshd, local).
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { expect, test } from "vitest";
import type { Connector } from "../../src/connectors/types.js";
import { rejection } from "./helpers.js";

/** A deterministic stream of `total` bytes, hashed as it is produced; `maxAhead` reports how far it ever ran ahead of `consumed()`. */
export function countedStream(total: number, chunk = 1 << 20) {
  const hash = createHash("sha256");
  const block = randomBytes(chunk);
  let produced = 0;
  const stream = new Readable({
    highWaterMark: chunk,
    read() {
      if (produced >= total) return void this.push(null);
      const size = Math.min(chunk, total - produced);
      const piece = block.subarray(0, size);
      block[0] = (block[0]! + 1) & 0xff; // vary the chunks a little
      hash.update(piece);
      produced += size;
      this.push(Buffer.from(piece));
    },
  });
  return { stream, digest: () => hash.digest("hex"), produced: () => produced };
}

export function execContract(connector: () => Connector): void {
  test("stdout, stderr and a non-zero exit code are a result, not an exception", async () => {
    const result = await connector().exec("printf out; printf err >&2; exit 7");
    expect(result).toMatchObject({ stdout: "out", stderr: "err", exitCode: 7 });
    expect(result.stdoutBytes.equals(Buffer.from("out"))).toBe(true);
  });

  test("a command killed by a signal reports the signal and no exit code", async () => {
    const result = await connector().exec("kill -TERM $$");
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe("SIGTERM");
  });

  test("large output (20 MB) arrives complete", async () => {
    const result = await connector().exec("head -c 20000000 /dev/zero | tr '\\000' a");
    expect(result.stdout.length).toBe(20_000_000);
    expect(result.exitCode).toBe(0);
  });

  test("binary output survives in stdoutBytes; onStdout sees every chunk", async () => {
    let streamed = 0;
    const result = await connector().exec("printf '\\000\\377\\001'", { onStdout: (chunk) => (streamed += chunk.length) });
    expect([...result.stdoutBytes]).toEqual([0, 255, 1]);
    expect(streamed).toBe(3);
  });

  test("output beyond maxOutputBytes fails clearly and quickly", async () => {
    const started = Date.now();
    const error = await rejection(connector().exec("yes", { maxOutputBytes: 1 << 20 }));
    expect(error.message).toMatch(/stdout exceeded 1048576 bytes/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await connector().exec("echo still usable")).stdout).toBe("still usable\n");
  });

  test("timeoutMs fails the command clearly and the connector stays usable", async () => {
    const started = Date.now();
    const error = await rejection(connector().exec("sleep 10", { timeoutMs: 300 }));
    expect(error.message).toMatch(/timed out after 300 ms/);
    expect(error.command).toBe("sleep 10");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await connector().exec("echo ok")).stdout).toBe("ok\n");
  });

  test("an AbortSignal cancels a running command", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const error = await rejection(connector().exec("sleep 10", { signal: controller.signal }));
    expect(error.message).toMatch(/aborted/);
  });

  test("stdin from a string and a Buffer", async () => {
    expect((await connector().exec("wc -c", { stdin: "hello" })).stdout.trim()).toBe("5");
    const data = randomBytes(3 << 20);
    const result = await connector().exec("cat", { stdin: data, maxOutputBytes: 8 << 20 });
    expect(result.stdoutBytes.equals(data)).toBe(true);
  });

  test("a command that ignores its stdin does not hang", async () => {
    const result = await connector().exec("exit 0", { stdin: countedStream(32 << 20).stream, timeoutMs: 20_000 });
    expect(result.exitCode).toBe(0);
  });

  test("a 200 MB stream piped to sha256sum arrives intact, with backpressure", async () => {
    const total = 200 * 1024 * 1024;
    const source = countedStream(total);
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    const started = performance.now();
    const result = await connector().exec("sha256sum", { stdin: source.stream }).finally(() => clearInterval(sampler));
    const seconds = (performance.now() - started) / 1000;
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split(" ")[0]).toBe(source.digest());
    // Buffered instead of streamed, 200 MB would show up in RSS.
    expect(peakRss - rssBefore).toBeLessThan(120 * 1024 * 1024);
    console.log(`[measure] ${connector().kind}: 200 MB stdin stream at ${(200 / seconds).toFixed(0)} MB/s; peak RSS growth ${((peakRss - rssBefore) / 1048576).toFixed(0)} MB`);
  }, 180_000);
}
