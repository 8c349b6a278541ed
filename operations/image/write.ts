// image.write: a disk image onto a block device, byte for byte, or a loud failure. The source's sha256 is a required
// argument and is checked BEFORE the first byte reaches the device: on the controller for a controller-side source,
// on the host by a first pass that only hashes (or over a staged copy) for a URL. The write pass hashes what it is
// given again, writes with dd (4 MiB blocks, fsync), and the device is then read back over exactly the written length
// and must hash to the image. A source that turns out bad during the write pass (it changed since the check, it was
// cut short) fails with the device declared undefined: the install must not reboot into it.
import { CommandError, PineError, UsageError } from "../../src/errors.js";
import { defineOperation, type OperationResult, type Step } from "../../src/operations/define.js";
import type { ExecResult } from "../../src/connectors/types.js";
import type { HostContext } from "../../src/host.js";
import { devices, type BlockDevice } from "../../facts/block/devices.js";
import { headSha256 } from "../../facts/block/head-sha256.js";
import { mounts, type Mount } from "../../facts/server/mounts.js";
import { which } from "../../facts/server/which.js";
import { fetchCommand, type Fetcher } from "../files/download.js";
import { requireAbsolute } from "../files/path.js";
import { ImageProgress, formatBytes } from "./progress.js";
import { EXIT, imageScript } from "./script.js";
import { checkLocal, describeSource, openLocal, type ImageFormat, type ImageSource } from "./source.js";

export interface ImageWriteArgs {
  /** The block device to write (the whole disk; a loop device in tests). */
  device: string;
  source: ImageSource;
  /** Required: sha256 of the source as delivered (the .tar.gz of a release; the raw file otherwise). */
  sha256: string;
  /** "raw" (default), or "tar.gz": a gzip tarball holding `member`, streamed out with `tar -xzO` on the host. */
  format?: ImageFormat;
  /** The image inside a tar.gz; default "image.pine". */
  member?: string;
  /** The image's size in bytes, when known: a different size fails, a smaller device is refused before writing. */
  size?: number;
  /** The image's own sha256 (of the member, for a tar.gz), when known; with a known size, a device already holding it is left alone. */
  imageSha256?: string;
  /** A tmpfs directory on the host for the script's fifos and status files (not on the disk being written). Default /dev/shm. */
  workDir?: string;
  /** URL sources: download into this host directory (a tmpfs with room for the source) and check it once, instead of downloading twice. */
  staging?: string;
  /** Write even though partitions of the device are mounted read-write (the install remounts its root read-only first). */
  allowMounted?: boolean;
  timeoutMs?: number;
}

export interface WriteStats {
  bytes: number;
  imageSha256: string;
  /** The write pass (dd with fsync), and the read-back, in seconds as seen from the controller. */
  writeSeconds: number | null;
  verifySeconds: number | null;
}

/** The operation's result plus what was written (null when nothing was: unchanged, or --dry). */
export interface ImageWriteResult extends OperationResult {
  written: WriteStats | null;
}

const NAME = "image.write";
const HEX = /^[0-9a-fA-F]{64}$/;
const TOOLS = ["wget", "curl", "busybox"] as const;

interface Checked {
  device: string;
  sha: string;
  format: ImageFormat;
  member: string;
  workDir: string;
  staging: string | null;
}

function check(a: ImageWriteArgs): Checked {
  const device = requireAbsolute(a.device, NAME);
  const where = `${NAME} ${device}`;
  if (typeof a.sha256 !== "string" || !HEX.test(a.sha256)) throw new UsageError(`${where}: sha256 of the source is required (64 hex digits): nothing is written without it`);
  const s = a.source as Record<string, unknown> | undefined;
  const kinds = s && typeof s === "object" ? ["url", "localFile", "stream"].filter((k) => s[k] !== undefined) : [];
  if (kinds.length !== 1) throw new UsageError(`${where}: source must be exactly one of { url }, { localFile }, { stream }`);
  if ("url" in a.source && (typeof a.source.url !== "string" || !/^(https?|ftp):\/\/\S+$/.test(a.source.url))) throw new UsageError(`${where}: source.url must be an http(s):// or ftp:// URL, got ${JSON.stringify(a.source.url)}`);
  if ("localFile" in a.source) requireAbsolute(a.source.localFile, `${where}: source.localFile`);
  if ("stream" in a.source && typeof a.source.stream !== "function") throw new UsageError(`${where}: source.stream must be a function returning a fresh Readable`);
  const format = a.format ?? "raw";
  if (format !== "raw" && format !== "tar.gz") throw new UsageError(`${where}: format must be "raw" or "tar.gz", got ${JSON.stringify(a.format)}`);
  const member = a.member ?? "image.pine";
  if (typeof member !== "string" || member === "" || /[\n\0]/.test(member)) throw new UsageError(`${where}: member must be a file name inside the tarball`);
  if (a.size !== undefined && (!Number.isSafeInteger(a.size) || a.size <= 0)) throw new UsageError(`${where}: size must be the image's size in bytes, got ${JSON.stringify(a.size)}`);
  if (a.imageSha256 !== undefined && !HEX.test(a.imageSha256)) throw new UsageError(`${where}: imageSha256 must be 64 hex digits`);
  if (a.staging !== undefined && !("url" in a.source)) throw new UsageError(`${where}: staging is for url sources (a controller-side source is checked on the controller)`);
  return {
    device,
    sha: a.sha256.toLowerCase(),
    format,
    member,
    workDir: requireAbsolute(a.workDir ?? "/dev/shm", `${where}: workDir`),
    staging: a.staging === undefined ? null : requireAbsolute(a.staging, `${where}: staging`),
  };
}

/** `key=value` pairs of the script's `@@pine-image` line; the *_err values run to the next key. */
export function parseReport(stdout: string): Map<string, string> {
  const line = stdout.split("\n").find((l) => l.startsWith("@@pine-image ")) ?? "";
  const map = new Map<string, string>();
  for (const m of line.slice(13).matchAll(/(\w+)=(.*?)(?= \w+=|$)/g)) map.set(m[1]!, m[2]!.trim());
  return map;
}

/** Why the script stopped, for people. */
export function explain(r: Map<string, string>, c: Checked, device: string): string {
  const bytes = (k: string) => (r.get(k) && r.get(k) !== "none" ? `${r.get(k)} bytes` : "an unknown length");
  switch (r.get("reason")) {
    case "source":
      return `reading the source failed (exit ${r.get("source_rc") ?? "?"})${r.get("source_err") ? `: ${r.get("source_err")}` : ""}`;
    case "source-sha256":
      return `the source's sha256 is ${r.get("source_sha256")}, not the expected ${c.sha}: it is not the expected file, or it came in corrupt or cut short`;
    case "decode":
      return `tar -xzO ${c.member} failed (exit ${r.get("decode_rc")}): the tarball is corrupt, cut short, or holds no ${c.member}${r.get("decode_err") ? `: ${r.get("decode_err")}` : ""}`;
    case "empty":
      return `the image is empty`;
    case "size":
      return `the image is ${bytes("bytes")}, not the expected ${r.get("want_bytes")} bytes (cut short?)`;
    case "image-sha256":
      return `the image has sha256 ${r.get("image_sha256")}, not the expected ${r.get("want_image_sha256")}`;
    case "too-big":
      return `the image is ${bytes("bytes")}, but ${device} has only ${bytes("device_bytes")}`;
    case "write":
      return `dd onto ${device} failed (exit ${r.get("sink_rc")})${r.get("sink_err") ? `: ${r.get("sink_err")}` : ""}`;
    case "readback":
      return `reading ${bytes("bytes")} back from ${device} gives sha256 ${r.get("readback_sha256")}, not the image's ${r.get("image_sha256")}${r.get("readback_err") ? ` (${r.get("readback_err")})` : ""}`;
    case "workdir":
      return `cannot make a work directory in ${c.workDir} (it must be a writable tmpfs)`;
    case "staging":
      return r.get("staging_err") ? `writing the download into the staging directory ${c.staging} failed: ${r.get("staging_err")}` : `cannot make a file in the staging directory ${c.staging}`;
    case "not-a-block-device":
      return `${device} is not a block device`;
    default:
      return `the image script stopped (${r.get("reason") ?? "no report"})`;
  }
}

/** The failure for a finished script: nothing written, or the device undefined. */
function failure(host: HostContext, result: ExecResult, c: Checked, display: string, progress: ImageProgress): CommandError | null {
  if (result.exitCode === 0) return null;
  const report = parseReport(result.stdout);
  const wrote = result.exitCode === null || result.exitCode >= EXIT.write || (result.exitCode !== EXIT.setup && result.exitCode !== EXIT.check && progress.times.started.has("write"));
  const why = result.exitCode === null ? "the write did not finish (connection lost, or the script was killed)" : explain(report, c, c.device);
  const stderr = result.stderr
    .split("\n")
    .filter((l) => !l.startsWith("@@pine-"))
    .join("\n")
    .trim();
  if (!wrote) return new CommandError(`${NAME} ${c.device}: ${why}; nothing was written to ${c.device}`, { host: host.name, step: NAME, command: display, exitCode: result.exitCode, stderr });
  return new CommandError(`${NAME} ${c.device}: ${why}. ${c.device} has been written over and its content is now UNDEFINED: it must not be booted`, {
    host: host.name,
    step: NAME,
    command: display,
    exitCode: result.exitCode,
    stderr,
    hint: `write a good image onto ${c.device} before anything reboots the host`,
  });
}

/**
 * The step broke off (the connection lost, a timeout): pine never heard how the script ended. The write pass may have
 * begun (it starts as soon as the script does for a controller source), so the device is undefined either way.
 */
function brokenOff(error: PineError, c: Checked, progress: ImageProgress): PineError {
  progress.finish();
  const Kind = error.constructor as typeof PineError;
  const how = progress.times.started.has("write") ? "has been written over" : "may have been written over (pine lost the host before it heard how far the script got)";
  return new Kind(`${NAME} ${c.device}: ${error.message.replace(`${NAME}: `, "")}; the write did not finish. ${c.device} ${how} and its content is now UNDEFINED: it must not be booted`, {
    host: error.host,
    step: error.step,
    command: error.command,
    exitCode: error.exitCode,
    stderr: error.stderr,
    hint: `write a good image onto ${c.device} before anything reboots the host${error.hint ? `; ${error.hint}` : ""}`,
    cause: error,
  });
}

/** Partitions of `device` (or the device itself) mounted read-write: writing under a mounted filesystem corrupts both. */
function mountedRw(device: string, devs: readonly BlockDevice[], table: readonly Mount[]): string[] {
  const name = device.replace(/^\/dev\//, "");
  return devs
    .filter((d) => (d.name === name || d.parent === name) && d.mountpoint !== null)
    .filter((d) => table.filter((m) => m.mountpoint === d.mountpoint).at(-1)?.options.includes("rw"))
    .map((d) => `${d.name} on ${d.mountpoint}`);
}

const writeSpec = defineOperation<ImageWriteArgs & { readonly out: { written: WriteStats | null } }>({
  name: NAME,
  describe: (a) => `${a.device} holds the image from ${a.source ? describeSource(a.source) : "?"} (sha256 ${String(a.sha256).slice(0, 12)}…)`,
  facts: (a) => {
    check(a);
    return [devices, mounts, ...("url" in a.source ? TOOLS.map((t) => which(t)) : [])];
  },
  async plan(host, a) {
    const c = check(a);
    const where = `${NAME} ${c.device}`;
    const [devs, table] = await host.facts(devices, mounts);
    const busy = mountedRw(c.device, devs, table);
    if (busy.length > 0 && !a.allowMounted) throw new Error(`${where}: ${busy.join(", ")} mounted read-write; remount read-only (and blockdev --setro) first, or pass allowMounted: true`);

    // What is known about the image before the host sees it.
    let size = a.size ?? null;
    let imageSha = a.imageSha256?.toLowerCase() ?? (c.format === "raw" ? c.sha : null);
    let stdin: Step["stdin"];
    let fetch: string | null = null;
    let how: string;
    if (!("url" in a.source)) {
      const source = a.source;
      let local;
      try {
        local = await checkLocal(source, c.format, c.member);
      } catch (error) {
        throw new UsageError(`${where}: cannot read ${describeSource(source)}${c.format === "tar.gz" ? ` as a tar.gz holding ${c.member}` : ""}: ${(error as Error).message}; nothing was written`);
      }
      if (local.sourceSha256 !== c.sha) throw new UsageError(`${where}: ${describeSource(source)} has sha256 ${local.sourceSha256}, not the expected ${c.sha}; nothing was written`);
      if (size !== null && local.imageBytes !== size) throw new UsageError(`${where}: the image is ${local.imageBytes} bytes, not the expected ${size}; nothing was written`);
      if (imageSha !== null && local.imageSha256 !== imageSha) throw new UsageError(`${where}: the image has sha256 ${local.imageSha256}, not the expected ${imageSha}; nothing was written`);
      size = local.imageBytes;
      imageSha = local.imageSha256;
      stdin = () => openLocal(source);
      how = `send ${describeSource(source)} on the command's stdin (its sha256 checked on the controller first)`;
    } else {
      const found = await host.facts(...TOOLS.map((t) => which(t)));
      const tool = TOOLS.find((_, i) => found[i] !== null) as Fetcher | undefined;
      if (!tool) throw new Error(`${where}: the host has none of wget, curl or busybox to download with; stream the image from the controller (source: { localFile }) instead`);
      fetch = fetchCommand(tool, a.source.url, "-");
      how = `download ${a.source.url} on the host with ${tool === "busybox" ? "busybox wget" : tool}, ${c.staging ? `into ${c.staging}, check its sha256` : "check its sha256 in a first pass"} before writing`;
    }

    if (size !== null) {
      const now = await host.fact(headSha256(c.device, size));
      if (now.size < size) throw new Error(`${where}: the image is ${size} bytes, but the device has only ${now.size}; nothing was written`);
      if (imageSha !== null && now.sha256 === imageSha) return { description: `${c.device} already holds the image (${formatBytes(size)}, sha256 ${imageSha.slice(0, 12)}…)`, steps: [] };
    }

    const display = `${how}${c.format === "tar.gz" ? ` | tar -xzO ${c.member}` : ""} | dd of=${c.device} bs=4M conv=fsync; read back ${size ?? "the written"} bytes and compare sha256`;
    const progress = new ImageProgress(host, c.device, size);
    const script = imageScript({
      device: c.device,
      workDir: c.workDir,
      fetch,
      staging: c.staging,
      format: c.format,
      member: c.member,
      sourceSha256: c.sha,
      size,
      imageSha256: imageSha,
      checkFirst: fetch !== null,
    });
    return {
      description: `write the image (${size !== null ? formatBytes(size) : "size known after the download"}${c.format === "tar.gz" ? `, ${c.member} from a tar.gz` : ""}${imageSha ? `, sha256 ${imageSha.slice(0, 12)}…` : ""}) onto ${c.device}: ${how}, dd 4 MiB blocks with fsync, then read it back and compare sha256`,
      steps: [
        {
          command: script,
          ...(stdin ? { stdin } : {}),
          display,
          timeoutMs: a.timeoutMs ?? 4 * 3600_000,
          onStderr: progress.onStderr,
          onError: (error) => brokenOff(error, c, progress),
          onResult(result) {
            progress.finish();
            const error = failure(host, result, c, display, progress);
            if (error) throw error;
            const r = parseReport(result.stdout);
            if (r.get("reason") !== "ok") throw new CommandError(`${where}: the image script ended without its report; treat ${c.device} as undefined`, { host: host.name, step: NAME, command: display, exitCode: result.exitCode, stderr: result.stderr });
            a.out.written = { bytes: Number(r.get("bytes")), imageSha256: r.get("image_sha256") ?? "", writeSeconds: progress.seconds("write", "readback"), verifySeconds: progress.seconds("readback", null) };
          },
        },
      ],
      invalidates: ["block.*"],
    };
  },
});

/** Write an image; the result's `written` says how many bytes and how long the write and the read-back took. */
export const write: ((host: HostContext, args: ImageWriteArgs) => Promise<ImageWriteResult>) & { readonly operationName: string } = Object.assign(
  async (host: HostContext, args: ImageWriteArgs): Promise<ImageWriteResult> => {
    const out = { written: null as WriteStats | null };
    const result = await writeSpec(host, { ...args, out });
    return { ...result, written: out.written };
  },
  { operationName: NAME },
);
