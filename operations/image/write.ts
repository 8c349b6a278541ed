// image.write: a raw disk image is on a block device, byte for byte. The source is a URL the host downloads or a
// file on the controller streamed over the SSH channel, optionally gzip-compressed. The expected sha256 of the raw
// image is required, and the written bytes are read back (after fsync and a buffer flush) and compared before the
// operation reports success. Before anything is written: a controller file is hashed (decompressed) on the controller;
// a URL with `staging` is downloaded to the host and its sha256 checked first. A URL without staging streams into dd
// (for hosts with no room for a copy) and relies on the read-back: a corrupt or truncated source then fails right
// after the write, never silently.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { Writable } from "node:stream";
import { UsageError } from "../../src/errors.js";
import { defineOperation, type Step } from "../../src/operations/define.js";
import { quote } from "../../src/shell.js";
import { headSha256 } from "../../facts/block/head-sha256.js";
import { which } from "../../facts/server/which.js";
import { fetchCommand, type Fetcher } from "../files/download.js";
import { requireAbsolute } from "../files/path.js";

export interface ImageWriteArgs {
  device: string;
  /** The host downloads this. Exactly one of url / src. */
  url?: string;
  /** A file on the controller, streamed to the host. */
  src?: string;
  /** The source is gzip-compressed; it is decompressed on the host. */
  gzip?: boolean;
  /** Bytes of the raw image. */
  size: number;
  /** sha256 of the raw image: what the device must hold afterwards. */
  sha256: string;
  /** sha256 of the source as transferred (the .gz); with `staging`, checked before writing. */
  sourceSha256?: string;
  /** A directory on the host (a tmpfs) to hold the downloaded source while its sha256 is checked, before writing. */
  staging?: string;
  timeoutMs?: number;
}

const HEX = /^[0-9a-fA-F]{64}$/;
const TOOLS = ["wget", "curl", "busybox"] as const;

function check(a: ImageWriteArgs): { device: string; sha: string } {
  const device = requireAbsolute(a.device, "image.write");
  const where = `image.write ${device}`;
  if ((a.url === undefined) === (a.src === undefined)) throw new UsageError(`${where}: give exactly one of url or src`);
  if (a.url !== undefined && (typeof a.url !== "string" || !/^(https?|ftp):\/\/\S+$/.test(a.url))) throw new UsageError(`${where}: url must be an http(s):// or ftp:// URL, got ${JSON.stringify(a.url)}`);
  if (!Number.isSafeInteger(a.size) || a.size <= 0) throw new UsageError(`${where}: size must be the raw image's size in bytes, got ${a.size}`);
  if (typeof a.sha256 !== "string" || !HEX.test(a.sha256)) throw new UsageError(`${where}: sha256 of the raw image is required (64 hex digits)`);
  if (a.sourceSha256 !== undefined && !HEX.test(a.sourceSha256)) throw new UsageError(`${where}: sourceSha256 must be 64 hex digits`);
  if (a.staging !== undefined) {
    if (a.url === undefined) throw new UsageError(`${where}: staging applies to url sources (a controller file is checked on the controller)`);
    if (a.sourceSha256 === undefined && a.gzip) throw new UsageError(`${where}: staging a gzip source needs sourceSha256 (the .gz's sha256) to check before writing`);
    requireAbsolute(a.staging, `${where}: staging`);
  }
  return { device, sha: a.sha256.toLowerCase() };
}

/** Hash the controller file (decompressed when gzip) before a byte is sent: a wrong file never reaches the disk. */
async function checkLocal(a: ImageWriteArgs, where: string): Promise<void> {
  const raw = createHash("sha256");
  const source = createHash("sha256");
  let rawBytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.update(chunk);
      rawBytes += chunk.length;
      done();
    },
  });
  const input = createReadStream(a.src!);
  input.on("data", (chunk) => source.update(chunk as Buffer));
  try {
    await (a.gzip ? pipeline(input, createGunzip(), sink) : pipeline(input, sink));
  } catch (error) {
    throw new UsageError(`${where}: cannot read ${a.src}${a.gzip ? " as gzip" : ""}: ${(error as Error).message}`);
  }
  const got = { raw: raw.digest("hex"), source: source.digest("hex") };
  if (a.sourceSha256 !== undefined && got.source !== a.sourceSha256.toLowerCase()) throw new UsageError(`${where}: ${a.src} has sha256 ${got.source}, not the expected ${a.sourceSha256.toLowerCase()}; nothing was written`);
  if (rawBytes !== a.size || got.raw !== a.sha256.toLowerCase()) {
    throw new UsageError(`${where}: ${a.src}${a.gzip ? " (decompressed)" : ""} is ${rawBytes} bytes with sha256 ${got.raw}, not ${a.size} bytes with ${a.sha256.toLowerCase()}; nothing was written`);
  }
}

/** The host-side script: [stage and check] → [gunzip] → dd (4 MiB, fsync) → flush → read back and compare. */
export function writeCommand(o: { device: string; fetch: string; gzip: boolean; size: number; sha: string; staging?: string; sourceSha?: string; label: string }): string {
  const dev = quote(o.device);
  const lines = ["set -e", `pine_st=$(mktemp)`, `trap 'rm -f "$pine_st"' EXIT`];
  let source = o.fetch;
  if (o.staging !== undefined) {
    lines.push(
      `pine_src=$(mktemp ${quote(`${o.staging}/.pine.image.XXXXXXXX`)})`,
      `trap 'rm -f "$pine_st" "$pine_src"' EXIT`,
      `${o.fetch} > "$pine_src"`,
      `pine_sum=$(sha256sum < "$pine_src" | cut -c1-64)`,
      `if [ "$pine_sum" != ${o.sourceSha} ]; then printf 'source %s has sha256 %s, expected %s: nothing was written\\n' ${quote(o.label)} "$pine_sum" ${o.sourceSha} >&2; exit 1; fi`,
    );
    source = `cat "$pine_src"`;
  }
  const stages = [`{ ${source} || echo "reading the source failed (exit $?)" >> "$pine_st"; }`];
  if (o.gzip) stages.push(`{ gzip -dc || echo "gzip -d failed (exit $?): the source is corrupt or truncated" >> "$pine_st"; }`);
  stages.push(`dd of=${dev} bs=4M conv=fsync 2>/dev/null`);
  lines.push(
    stages.join(" | "),
    `blockdev --flushbufs ${dev} 2>/dev/null || true`,
    `pine_sum=$(head -c ${o.size} ${dev} | sha256sum | cut -c1-64)`,
    `if [ -s "$pine_st" ]; then cat "$pine_st" >&2; fi`,
    `if [ "$pine_sum" != ${o.sha} ]; then printf 'the bytes written to %s do not verify: sha256 of its first %s bytes is %s, expected %s\\n' ${dev} ${o.size} "$pine_sum" ${o.sha} >&2; exit 1; fi`,
    `if [ -s "$pine_st" ]; then exit 1; fi`,
  );
  return lines.join("\n");
}

export const write = defineOperation<ImageWriteArgs>({
  name: "image.write",
  describe: (a) => `${a.device} holds the image ${a.url ?? a.src} (sha256 ${String(a.sha256).slice(0, 12)}…)`,
  facts: (a) => {
    const { device } = check(a);
    return [headSha256(device, a.size), ...(a.url !== undefined ? TOOLS.map((t) => which(t)) : [])];
  },
  async plan(host, a) {
    const { device, sha } = check(a);
    const where = `image.write ${device}`;
    const now = await host.fact(headSha256(device, a.size));
    if (now.size < a.size) throw new Error(`${where}: the device is ${now.size} bytes, smaller than the ${a.size}-byte image`);
    if (now.sha256 === sha) return null;
    let fetch: string;
    let stdin: Step["stdin"];
    if (a.src !== undefined) {
      await checkLocal(a, where);
      const src = a.src;
      fetch = "cat";
      stdin = () => createReadStream(src);
    } else {
      const found = await host.facts(...TOOLS.map((t) => which(t)));
      const tool = TOOLS.find((_, i) => found[i] !== null) as Fetcher | undefined;
      if (!tool) throw new Error(`${where}: the host has none of wget, curl or busybox to download with; stream the image from the controller (src) instead`);
      fetch = fetchCommand(tool, a.url!, "-");
    }
    const label = a.url ?? a.src!;
    return {
      description: `write ${label} (${a.size} bytes${a.gzip ? ", gunzipped on the host" : ""}) to ${device}, then read it back and verify sha256`,
      steps: [
        {
          command: writeCommand({ device, fetch, gzip: a.gzip === true, size: a.size, sha, staging: a.staging, sourceSha: (a.sourceSha256 ?? a.sha256).toLowerCase(), label }),
          ...(stdin ? { stdin } : {}),
          display: `${a.src ? "stream" : "download"} ${label}${a.staging ? ` (staged in ${a.staging}, sha256 checked first)` : ""} | ${a.gzip ? "gzip -dc | " : ""}dd of=${device} bs=4M conv=fsync; read back ${a.size} bytes and compare sha256`,
          timeoutMs: a.timeoutMs ?? 3_600_000,
        },
      ],
      invalidates: ["block.*"],
    };
  },
});
