// Where each host's image comes from, settled ONCE on the controller before any host is touched: a release
// tag looked up in a release index, a URL with its sha256, or a file the controller streams (hashed here first).
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { UsageError } from "../../src/errors.js";
import type { ImageChoice, InstallMode } from "./config.js";

/** What a host fetches: everything needed to verify it before a byte is written. */
export type Artifact =
  | { kind: "url"; url: string; sha256: string; size?: number; label: string }
  | { kind: "file"; path: string; sha256: string; size: number; label: string };

/** The two artifacts of a release: the VM disk image tarball and the container rootfs tarball. */
export interface ReleaseArtifacts {
  image?: Artifact;
  rootfs?: Artifact;
}

/** A release index: `{ "releases": { "v1.2.0": { "image": {url, sha256, size?}, "rootfs": {...} } } }`. */
interface ReleaseIndex {
  releases: Record<string, Record<string, { url: string; sha256: string; size?: number }>>;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Read a release index, a JSON file or an http(s) URL, with a `releases` object. `base` is the file's directory (what
 * relative paths in it are relative to), null for a URL. Shared by install and upgrade, whose entries differ.
 */
export async function readReleaseIndex<T extends { releases: object }>(location: string): Promise<{ index: T; base: string | null }> {
  const remote = /^https?:\/\//.test(location);
  try {
    const text = remote
      ? await (async () => {
          const response = await fetch(location, { signal: AbortSignal.timeout(30_000) });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          return response.text();
        })()
      : await readFile(location, "utf8");
    const index = JSON.parse(text) as T;
    if (!index || typeof index.releases !== "object" || index.releases === null) throw new Error('it has no "releases" object');
    return { index, base: remote ? null : dirname(resolve(location)) };
  } catch (error) {
    throw new UsageError(`cannot read the release index ${location}: ${(error as Error).message}`, { hint: "set data.releaseIndex to a reachable URL or file" });
  }
}

/**
 * Resolve every distinct image choice of the run once (cache keyed by the choice), so 100 hosts on one release
 * cost one index lookup and a streamed file is hashed once.
 */
export class ArtifactResolver {
  readonly #resolved = new Map<string, Promise<ReleaseArtifacts>>();
  readonly #indexes = new Map<string, Promise<ReleaseIndex>>();

  resolve(choice: ImageChoice, releaseIndex: string | undefined): Promise<ReleaseArtifacts> {
    const key = JSON.stringify([choice, releaseIndex]);
    let found = this.#resolved.get(key);
    if (!found) {
      found = this.#resolveOnce(choice, releaseIndex);
      this.#resolved.set(key, found);
    }
    return found;
  }

  async #resolveOnce(choice: ImageChoice, releaseIndex: string | undefined): Promise<ReleaseArtifacts> {
    if ("release" in choice) {
      if (!releaseIndex) throw new UsageError(`release ${choice.release} needs data.releaseIndex (a URL or file listing releases)`);
      let index = this.#indexes.get(releaseIndex);
      if (!index) {
        index = readReleaseIndex<ReleaseIndex>(releaseIndex).then((read) => read.index);
        this.#indexes.set(releaseIndex, index);
      }
      const release = (await index).releases[choice.release];
      if (!release) throw new UsageError(`release ${choice.release} is not in ${releaseIndex}`, { hint: `known: ${Object.keys((await index).releases).join(", ")}` });
      const pick = (name: "image" | "rootfs"): Artifact | undefined => {
        const a = release[name];
        if (!a) return undefined;
        if (!/^[0-9a-f]{64}$/.test(a.sha256)) throw new UsageError(`release ${choice.release} in ${releaseIndex}: ${name}.sha256 is not 64 hex digits`);
        return { kind: "url", url: a.url, sha256: a.sha256, ...(a.size ? { size: a.size } : {}), label: `${choice.release} ${name}` };
      };
      return { image: pick("image"), rootfs: pick("rootfs") };
    }
    if ("url" in choice) {
      const artifact: Artifact = { kind: "url", url: choice.url, sha256: choice.sha256, label: choice.url };
      return { image: artifact, rootfs: artifact };
    }
    let size: number;
    try {
      size = statSync(choice.file).size;
    } catch (error) {
      throw new UsageError(`image file ${choice.file} cannot be read: ${(error as Error).message}`);
    }
    const actual = await sha256File(choice.file);
    if (choice.sha256 && choice.sha256 !== actual) {
      throw new UsageError(`image file ${choice.file} has sha256 ${actual}, but the inventory says ${choice.sha256}: refusing to use it`);
    }
    const artifact: Artifact = { kind: "file", path: choice.file, sha256: actual, size, label: choice.file };
    return { image: artifact, rootfs: artifact };
  }
}

export function artifactFor(mode: InstallMode, artifacts: ReleaseArtifacts, host: string): Artifact {
  const artifact = mode === "vm" ? artifacts.image : artifacts.rootfs;
  if (!artifact) throw new UsageError(`host ${host}: the release has no ${mode === "vm" ? "VM disk image" : "container rootfs"}`);
  return artifact;
}
