// Parsed known_hosts files shared by all connections of a run: each file is parsed and indexed once, and again only
// when its size or mtime changes (pine's own appends included), instead of once per host — which made a
// 1000-host run parse a 1000-line file 2000 times. The index (KnownHostsIndex) spares each lookup a scan of every
// line: a 1000-host run against a 1000-line file did 2 million pattern matches, each compiling a RegExp.
import { statSync, readFileSync } from "node:fs";
import { KnownHostsIndex, parseKnownHosts, type KnownHostsEntry } from "./known-hosts.js";

interface Parsed {
  size: number;
  mtimeMs: number;
  index: KnownHostsIndex;
}

export class KnownHostsCache {
  readonly #files = new Map<string, Parsed>();

  /** The file's entries; a missing file has none. */
  entries(path: string): readonly KnownHostsEntry[] {
    return this.index(path).entries;
  }

  /** The file's entries, indexed for lookups by host; a missing file has none. */
  index(path: string): KnownHostsIndex {
    let stat;
    try {
      stat = statSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return new KnownHostsIndex([]);
      throw error;
    }
    const cached = this.#files.get(path);
    if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.index;
    const index = new KnownHostsIndex(parseKnownHosts(readFileSync(path, "utf8")));
    this.#files.set(path, { size: stat.size, mtimeMs: stat.mtimeMs, index });
    return index;
  }
}
