// Parsed known_hosts files shared by all connections of a run: each file is parsed once, and again only
// when its size or mtime changes (pine's own appends included), instead of once per host — which made a
// 1000-host run parse a 1000-line file 2000 times.
import { statSync, readFileSync } from "node:fs";
import { parseKnownHosts, type KnownHostsEntry } from "./known-hosts.js";

interface Parsed {
  size: number;
  mtimeMs: number;
  entries: KnownHostsEntry[];
}

export class KnownHostsCache {
  readonly #files = new Map<string, Parsed>();

  /** The file's entries; a missing file has none. */
  entries(path: string): KnownHostsEntry[] {
    let stat;
    try {
      stat = statSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const cached = this.#files.get(path);
    if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.entries;
    const entries = parseKnownHosts(readFileSync(path, "utf8"));
    this.#files.set(path, { size: stat.size, mtimeMs: stat.mtimeMs, entries });
    return entries;
  }
}
