// Progress for long transfers: a pass-through stream that counts bytes and reports "sent X of Y MiB, R MiB/s, ETA"
// at most once a second.
import { Transform } from "node:stream";

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}

export function progressLine(done: number, total: number | undefined, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  const parts = [`${formatBytes(done)}${total ? ` of ${formatBytes(total)} (${Math.floor((done / total) * 100)}%)` : ""}`, `${formatBytes(rate)}/s`];
  if (total && rate > 0 && done < total) parts.push(`ETA ${Math.ceil((total - done) / rate)}s`);
  return parts.join(", ");
}

/** Counts what flows through and calls report(line) at most every intervalMs, and once at the end. */
export function byteProgress(label: string, total: number | undefined, report: (line: string) => void, intervalMs = 1000, now: () => number = Date.now): Transform {
  const started = now();
  let done = 0;
  let last = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      const t = now();
      if (t - last >= intervalMs) {
        last = t;
        report(`${label}: ${progressLine(done, total, t - started)}`);
      }
      callback(null, chunk);
    },
    flush(callback) {
      report(`${label}: ${progressLine(done, total, now() - started)}, done`);
      callback();
    },
  });
}
