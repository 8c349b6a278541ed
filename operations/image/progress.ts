// Turning the image script's stderr markers into host.progress() lines (bytes, rate, ETA) and phase timings.
import type { HostContext } from "../../src/host.js";

export interface PhaseTimes {
  /** Controller clock (ms) when each phase began: download, check, write, readback. */
  started: Map<string, number>;
  ended: number | null;
}

const MiB = 1024 * 1024;

export function formatBytes(n: number): string {
  return n >= 1024 * MiB ? `${(n / 1024 / MiB).toFixed(2)} GiB` : `${(n / MiB).toFixed(1)} MiB`;
}

const WORDS: Record<string, string> = { download: "downloading", check: "checking the source", write: "writing", readback: "reading back" };

/** Reads `@@pine-phase NAME` and `@@pine-progress NAME BYTES` lines; everything else is left for error messages. */
export class ImageProgress {
  readonly times: PhaseTimes = { started: new Map(), ended: null };
  private partial = "";
  private base: { phase: string; at: number; bytes: number } | null = null;

  constructor(
    private readonly host: HostContext,
    private readonly device: string,
    /** Image bytes, when known: percentages and ETA. */
    private total: number | null,
    private readonly now: () => number = Date.now,
  ) {}

  onStderr = (chunk: Buffer): void => {
    const text = this.partial + chunk.toString("utf8");
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.line(line);
  };

  private line(line: string): void {
    const phase = /^@@pine-phase (\w+)$/.exec(line);
    if (phase) {
      this.times.started.set(phase[1]!, this.now());
      this.base = null;
      this.host.progress(`image.write ${this.device}: ${WORDS[phase[1]!] ?? phase[1]}`);
      return;
    }
    const size = /^@@pine-size (\d+)$/.exec(line);
    if (size) {
      this.total = Number(size[1]);
      return;
    }
    const m = /^@@pine-progress (\w+) (\d+)$/.exec(line);
    if (!m) return;
    const [name, bytes] = [m[1]!, Number(m[2])];
    const at = this.now();
    if (!this.base || this.base.phase !== name) this.base = { phase: name, at: this.times.started.get(name) ?? at, bytes: 0 };
    const seconds = (at - this.base.at) / 1000;
    const rate = seconds > 0 ? (bytes - this.base.bytes) / seconds : 0;
    const total = name === "download" ? null : this.total;
    const parts = [`${WORDS[name] ?? name} ${formatBytes(bytes)}${total ? ` of ${formatBytes(total)} (${Math.min(100, Math.floor((bytes / total) * 100))}%)` : ""}`];
    if (rate > 0) parts.push(`${(rate / 1e6).toFixed(1)} MB/s`);
    if (rate > 0 && total && bytes < total) parts.push(`ETA ${Math.ceil((total - bytes) / rate)} s`);
    this.host.progress(`image.write ${this.device}: ${parts.join(", ")}`);
  }

  finish(): void {
    this.times.ended = this.now();
  }

  /** Seconds from a phase's start to the next phase's (or the end). */
  seconds(phase: string, next: string | null): number | null {
    const from = this.times.started.get(phase);
    const to = next ? this.times.started.get(next) : this.times.ended;
    return from === undefined || to === undefined || to === null ? null : (to - from) / 1000;
  }
}
