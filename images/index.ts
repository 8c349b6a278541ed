// Test images for the install and upgrade e2e tests: builds them with images/build.sh (cached) and returns the manifest.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** What to build: the OSTree commits and deltas alone, or those plus the VM disk, the container rootfs, or all. */
export type ImageKind = "ostree" | "vm" | "container" | "all";

export interface Artifact {
  /** Absolute path of the file in the cache. */
  path: string;
  sha256: string;
  /** Bytes. */
  size: number;
}

export interface VmPartition {
  number: number;
  /** First sector (512 bytes). */
  start: number;
  sectors: number;
  /** MBR partition type, hex without 0x: "83" Linux, "82" swap. */
  type: string;
  fs: "ext2" | "swap" | "xfs";
  label: string;
  mount?: string;
  bootable?: boolean;
}

export interface Manifest {
  kind: ImageKind;
  /** Hash of the builder's inputs; a change of inputs gives a new key and a rebuild. */
  key: string;
  /** The cache directory the images live in. */
  dir: string;
  /** OSTree commit checksums on `ref`: v1 (deployed in the images) and v2 (its child, the upgrade). */
  commits: { v1: string; v2: string };
  /** "pine/x86_64/stable" */
  ref: string;
  /** The OSTree stateroot ("os") name: "pine". */
  os: string;
  /** Archive-mode repo holding v1 and v2 (what a controller could serve). */
  repo: string;
  /** Kernel version inside the commits, e.g. "6.1.0-56-amd64". */
  kernel: string;
  /** Seconds each stage took when it was built (not when it was reused). */
  buildSeconds: Record<string, number>;
  /**
   * By file name: "delta.tar" (v1 -> v2), "delta_base.tar" (empty -> v1) always; "image.pine" and
   * "image.pine.tar.gz" for vm; "rootfs.pine_ovz.sq" and "rootfs.pine_ovz.tar.gz" for container.
   */
  artifacts: Record<string, Artifact>;
  vm?: {
    /** The image's SSH host key ("ssh-ed25519 AAAA..."), as install would have written it. */
    hostKey: string;
    kernelArgs: string;
    partitions: VmPartition[];
  };
  container?: {
    /** Where the container init is in the rootfs. */
    init: string[];
    /** The v1 deployment, relative to the rootfs. */
    deployment: string;
  };
}

export interface EnsureOptions {
  /** Cache directory; default $PINE_CACHE_DIR/images, else /var/cache/pine/images. */
  outDir?: string;
  /** Receives the builder's progress lines; default: written to stderr. */
  log?: (line: string) => void;
  /** Give up after this long; default 20 minutes (a fresh build takes 1-2 minutes on 2 cores). */
  timeoutMs?: number;
}

const BUILD_SCRIPT = fileURLToPath(new URL("./build.sh", import.meta.url));
const pending = new Map<string, Promise<Manifest>>();

/**
 * Builds (or reuses) the test images of `kind` and returns their manifest. Needs root. Concurrent
 * calls in one process share one build; across processes the script serialises builds with a lock.
 */
export function ensureTestImages(kind: ImageKind = "all", options: EnsureOptions = {}): Promise<Manifest> {
  if (!["ostree", "vm", "container", "all"].includes(kind)) {
    return Promise.reject(new TypeError(`ensureTestImages: kind must be ostree, vm, container or all, not ${JSON.stringify(kind)}`));
  }
  const cacheKey = `${kind}\0${options.outDir ?? ""}`;
  let build = pending.get(cacheKey);
  if (!build) {
    build = runBuild(kind, options);
    pending.set(cacheKey, build);
    build.catch(() => pending.delete(cacheKey));
  }
  return build;
}

async function runBuild(kind: ImageKind, options: EnsureOptions): Promise<Manifest> {
  const args = [BUILD_SCRIPT, ...(options.outDir ? ["--out", options.outDir] : []), kind];
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { code, signal, stdout, stderrTail } = await run("bash", args, log, options.timeoutMs ?? 20 * 60_000);
  if (code !== 0) {
    const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    throw new Error(`building the ${kind} test images failed: bash ${args.join(" ")} ${why}\n${stderrTail}`);
  }
  const manifestPath = stdout.trim().split("\n").pop() ?? "";
  if (!manifestPath || !existsSync(manifestPath)) {
    throw new Error(`images/build.sh ${kind} printed no manifest path (stdout: ${JSON.stringify(stdout)})`);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
  for (const [name, artifact] of Object.entries(manifest.artifacts)) {
    if (!existsSync(artifact.path)) throw new Error(`manifest ${manifestPath} lists ${name} at ${artifact.path}, which does not exist`);
  }
  return manifest;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string;
}

function run(command: string, args: string[], log: (line: string) => void, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let pendingLine = "";
    const tail: string[] = [];
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (pendingLine + chunk).split("\n");
      pendingLine = lines.pop() ?? "";
      for (const line of lines) {
        log(line);
        tail.push(line);
        if (tail.length > 40) tail.shift();
      }
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (pendingLine) {
        log(pendingLine);
        tail.push(pendingLine);
      }
      resolve({ code, signal, stdout, stderrTail: tail.join("\n") });
    });
  });
}
