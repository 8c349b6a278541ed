// --limit: choosing hosts by name, group, glob, @file and !exclusion.
import { UsageError } from "../errors.js";
import { readCappedText } from "./read.js";
import { closest } from "./suggest.js";
import type { Inventory, ResolvedHost } from "./types.js";
import { quoteForMessage } from "./values.js";

const LIMIT_FILE_MAX_BYTES = 1024 * 1024;

interface Limit {
  pattern: string;
  exclude: boolean;
  /** Where it came from, for errors: `--limit` or `failed.txt line 3`. */
  origin: string;
}

/**
 * Each limit is a host name, a group name, or a glob over host names (`*`, `?`, `[abc]`); several
 * limits, or comma-separated ones, are a union. `@path` reads limits from a file, one per line
 * (blank lines and # comments skipped) — the runner writes such files for failed hosts. A limit
 * starting with `!` removes hosts instead (`web*,!web3`); only exclusions means "all but those".
 * No limits at all selects every host. Hosts come back in inventory order, each once.
 */
export function selectHosts(inventory: Inventory, limits: string[]): ResolvedHost[] {
  if (limits.length === 0) return [...inventory.hosts];
  const parsed = limits.flatMap((text) => expand(text));
  if (parsed.length === 0) throw new UsageError(`--limit ${quoteForMessage(limits.join(","))} names no hosts`);

  const groups = new Map(Object.entries(inventory.groups));
  const hostNames = new Set(inventory.hosts.map((h) => h.name));
  const include = new Set<string>();
  const exclude = new Set<string>();
  const unknown: Limit[] = [];
  for (const limit of parsed) {
    const matched = match(limit.pattern, hostNames, groups);
    if (matched.length === 0) unknown.push(limit);
    for (const name of matched) (limit.exclude ? exclude : include).add(name);
  }
  if (unknown.length) {
    const candidates = [...hostNames, ...groups.keys()];
    const lines = unknown.map((l) => {
      const near = closest(l.pattern, candidates);
      const from = l.origin === "--limit" ? "" : ` (from ${l.origin})`;
      return `${quoteForMessage(l.pattern)}${from}${near.length ? ` — did you mean ${near.join(", ")}?` : ""}`;
    });
    throw new UsageError(`--limit matches no host or group: ${lines.join("; ")}`, {
      hint: `hosts: ${preview([...hostNames])}${groups.size ? `; groups: ${preview([...groups.keys()])}` : ""}`,
    });
  }
  const onlyExclusions = parsed.every((l) => l.exclude);
  const chosen = inventory.hosts.filter((h) => (onlyExclusions || include.has(h.name)) && !exclude.has(h.name));
  if (chosen.length === 0) throw new UsageError(`--limit ${quoteForMessage(limits.join(","))} leaves no hosts: every match is excluded by a !limit`);
  return chosen;
}

function expand(text: string, origin = "--limit"): Limit[] {
  const out: Limit[] = [];
  for (const raw of text.split(",")) {
    const part = raw.trim();
    if (!part) continue;
    if (part.startsWith("@")) {
      if (origin !== "--limit") throw new UsageError(`${origin}: ${quoteForMessage(part)} — a limit file cannot include another file`);
      out.push(...readLimitFile(part.slice(1)));
      continue;
    }
    const exclude = part.startsWith("!");
    const pattern = exclude ? part.slice(1).trim() : part;
    if (!pattern) throw new UsageError(`${origin}: "!" must be followed by a host, group or pattern to exclude`);
    out.push({ pattern, exclude, origin });
  }
  return out;
}

function readLimitFile(path: string): Limit[] {
  if (!path) throw new UsageError(`--limit @ needs a file name, e.g. --limit @failed.txt`);
  const text = readCappedText(path, "--limit file", LIMIT_FILE_MAX_BYTES);
  const limits = text.split(/\r?\n/).flatMap((line, index) => {
    const content = line.replace(/#.*/, "").trim();
    return content ? expand(content, `${path} line ${index + 1}`) : [];
  });
  if (limits.length === 0) throw new UsageError(`--limit @${path}: the file lists no hosts (it is empty or only comments)`);
  return limits;
}

function match(pattern: string, hostNames: Set<string>, groups: Map<string, string[]>): string[] {
  if (hostNames.has(pattern)) return [pattern];
  const group = groups.get(pattern);
  if (group) return group;
  if (!/[*?[]/.test(pattern)) return [];
  const regex = globToRegExp(pattern);
  return [...hostNames].filter((name) => regex.test(name));
}

/** `*` any run of characters, `?` one character, `[...]` a class; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") source += ".*";
    else if (c === "?") source += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) source += "\\[";
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, "^").replace(/[\\\]]/g, "\\$&");
        source += `[${body}]`;
        i = end;
      }
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

function preview(names: string[]): string {
  return names.length <= 20 ? names.join(", ") : `${names.slice(0, 20).join(", ")}, … (${names.length} in all)`;
}
