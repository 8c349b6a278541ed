// What the rollout upgrades to, settled ONCE on the controller before any host is touched: a release from the
// release index (shared with install) or a commit, with the static deltas that lead there — files the controller
// hashes now and streams later, or URLs with their sha256 that hosts download.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { UsageError } from "../../src/errors.js";
import { readReleaseIndex, sha256File, type Artifact } from "../install/source.js";
import type { DeltaChoice, TargetChoice } from "./config.js";

export interface Delta {
  /** The commit the delta starts from, "empty" for a full delta, null when nobody said. */
  from: string | null;
  artifact: Artifact;
}

export interface Target {
  commit: string;
  /** How people name it: the release tag, else the commit's first 12 digits. */
  label: string;
  deltas: Delta[];
  /** Tags of the index's releases by commit, to name a host's current commit. */
  names: ReadonlyMap<string, string>;
}

/**
 * The release index, one JSON file for install and upgrade:
 * `{ "latest": "v2", "releases": { "v2": { "commit": "<64 hex>", "deltas": [{ "from": "<commit>", "file"|"url": ..., "sha256": ..., "size"?: n }] } } }`.
 * A relative `file` is relative to the index file.
 */
interface ReleaseIndex {
  latest?: string;
  releases: Record<string, { commit?: string; deltas?: unknown[] }>;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function short(commit: string): string {
  return `${commit.slice(0, 12)}…`;
}

/** The delta a host on `booted` should use: one made from its commit, else a full one, else one of unknown base. */
export function deltaFor(target: Target, booted: string): Delta | undefined {
  return target.deltas.find((d) => d.from === booted) ?? target.deltas.find((d) => d.from === "empty") ?? target.deltas.find((d) => d.from === null);
}

/** Resolves each distinct choice once (hosts sharing a release share one index read and one hash of each file). */
export class TargetResolver {
  readonly #targets = new Map<string, Promise<Target>>();
  readonly #indexes = new Map<string, Promise<{ index: ReleaseIndex; base: string | null }>>();
  readonly #hashes = new Map<string, Promise<Artifact>>();

  resolve(choice: TargetChoice): Promise<Target> {
    const key = JSON.stringify(choice);
    let found = this.#targets.get(key);
    if (!found) {
      found = this.#resolveOnce(choice);
      this.#targets.set(key, found);
    }
    return found;
  }

  async #resolveOnce(choice: TargetChoice): Promise<Target> {
    const deltas: Delta[] = [];
    let commit: string | undefined;
    let label: string | undefined;
    const names = new Map<string, string>();
    if (choice.releaseIndex) {
      const { index, base } = await this.#index(choice.releaseIndex);
      for (const [tag, release] of Object.entries(index.releases)) if (typeof release?.commit === "string") names.set(release.commit, tag);
      const wanted = choice.to ?? index.latest;
      if (!wanted) throw new UsageError(`the release index ${choice.releaseIndex} names no "latest" release: give --to TAG`, { hint: `known: ${Object.keys(index.releases).join(", ")}` });
      const tag = HEX64.test(wanted) ? names.get(wanted) : wanted;
      const release = tag === undefined ? undefined : index.releases[tag];
      if (tag !== undefined && !release) throw new UsageError(`release ${tag} is not in ${choice.releaseIndex}`, { hint: `known: ${Object.keys(index.releases).join(", ")}` });
      if (release) {
        if (typeof release.commit !== "string" || !HEX64.test(release.commit)) throw new UsageError(`release ${tag} in ${choice.releaseIndex}: commit must be a 64-hex OSTree commit`);
        commit = release.commit;
        label = tag;
        for (const [i, raw] of (release.deltas ?? []).entries()) {
          deltas.push(await this.#delta(indexDelta(raw, `release ${tag} in ${choice.releaseIndex}: deltas[${i}]`), base, `${tag} delta`));
        }
      } else commit = wanted;
    } else commit = choice.to;
    if (!commit || !HEX64.test(commit)) throw new UsageError(`the upgrade target ${JSON.stringify(choice.to)} is neither a release of the index nor a 64-hex commit`);
    if (choice.delta) deltas.unshift(await this.#delta(choice.delta, null, `delta to ${label ?? short(commit)}`));
    return { commit, label: label ?? short(commit), deltas, names };
  }

  #index(location: string): Promise<{ index: ReleaseIndex; base: string | null }> {
    let found = this.#indexes.get(location);
    if (!found) {
      found = readReleaseIndex<ReleaseIndex>(location);
      this.#indexes.set(location, found);
    }
    return found;
  }

  async #delta(choice: DeltaChoice, base: string | null, label: string): Promise<Delta> {
    const from = choice.from ?? null;
    if ("url" in choice) return { from, artifact: { kind: "url", url: choice.url, sha256: choice.sha256, ...(choice.size !== undefined ? { size: choice.size } : {}), label } };
    const path = base ? resolve(base, choice.file) : resolve(choice.file);
    let hashed = this.#hashes.get(path);
    if (!hashed) {
      hashed = hashFile(path, label);
      this.#hashes.set(path, hashed);
    }
    const artifact = await hashed;
    if (choice.sha256 && choice.sha256 !== artifact.sha256) {
      throw new UsageError(`delta file ${path} has sha256 ${artifact.sha256}, but ${choice.sha256} was given: refusing to use it`);
    }
    return { from, artifact };
  }
}

async function hashFile(path: string, label: string): Promise<Artifact> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new UsageError(`delta file ${path} cannot be read: ${(error as Error).message}`);
  }
  return { kind: "file", path, size, sha256: await sha256File(path), label };
}

function indexDelta(raw: unknown, where: string): DeltaChoice {
  const d = (raw ?? {}) as Record<string, unknown>;
  const from = d.from;
  if (from !== undefined && (typeof from !== "string" || !(from === "empty" || HEX64.test(from)))) throw new UsageError(`${where}.from must be a 64-hex commit or "empty"`);
  if (typeof d.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(d.sha256)) throw new UsageError(`${where}.sha256 must be 64 lowercase hex digits`);
  const fromPart = typeof from === "string" ? { from } : {};
  if (typeof d.url === "string") return { url: d.url, sha256: d.sha256, ...(typeof d.size === "number" ? { size: d.size } : {}), ...fromPart };
  if (typeof d.file === "string") return { file: d.file, sha256: d.sha256, ...fromPart };
  throw new UsageError(`${where} needs url or file`);
}

