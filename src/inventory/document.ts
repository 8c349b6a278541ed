// YAML text → one parsed Document, with every syntax problem turned into a "file:line:col: what" UsageError.
import { isAlias, LineCounter, parseAllDocuments, visit, type Alias, type Document, type Node, type ParsedNode } from "yaml";
import { UsageError } from "../errors.js";

/** Turns node positions into "file:line:col:" prefixes. */
export class Locator {
  constructor(readonly file: string, private readonly lines: LineCounter) {}

  /** "file:line:col" of a byte offset, or just "file" when unknown. */
  where(offset: number | undefined): string {
    if (offset === undefined) return this.file;
    const { line, col } = this.lines.linePos(offset);
    return `${this.file}:${line}:${col}`;
  }

  at(node: { range?: readonly number[] | null } | null | undefined, message: string): UsageError {
    return new UsageError(`${this.where(node?.range?.[0])}: ${message}`);
  }
}

export interface ParsedYaml {
  doc: Document.Parsed;
  locator: Locator;
  /** Each alias's anchored node, found in one pass (yaml's own Alias.resolve walks the whole document per call). */
  anchors: Map<Alias, Node | undefined>;
}

export function parseYaml(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  const locator = new Locator(file, lines);
  let docs: Document.Parsed[] | { length: 0 };
  try {
    docs = parseAllDocuments<ParsedNode>(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, logLevel: "silent" });
  } catch (error) {
    // The parser recurses; absurd nesting can exhaust the stack. Never let that surface as a trace.
    throw new UsageError(`${file}: cannot parse YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Array.isArray(docs) || docs.length === 0) throw new UsageError(`${file}: the inventory is empty; it needs at least a hosts: mapping`);
  const second = docs[1];
  if (second) {
    throw locator.at(second.contents ?? { range: second.range ?? null }, "more than one YAML document (a second ---); put defaults, hosts and groups in one document");
  }
  const doc = docs[0]!;
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const offset = problem.pos[0];
    if (problem.code === "DUPLICATE_KEY") {
      const key = keyAt(text, offset);
      throw new UsageError(`${locator.where(offset)}: duplicate key ${JSON.stringify(key)}; each key may appear only once in a mapping`);
    }
    if (problem.code === "TAG_RESOLVE_FAILED") {
      throw new UsageError(`${locator.where(offset)}: ${problem.message}; inventories use plain YAML values, no custom tags`);
    }
    const what = /call stack/i.test(problem.message) ? "values are nested too deeply to parse" : problem.message;
    throw new UsageError(`${locator.where(offset)}: YAML syntax error: ${what}`);
  }
  if (doc.contents === null) throw new UsageError(`${file}: the inventory is empty; it needs at least a hosts: mapping`);
  return { doc, locator, anchors: indexAnchors(doc) };
}

/** The text of the mapping key starting at `offset`, without quotes. */
function keyAt(text: string, offset: number): string {
  const rest = text.slice(offset, offset + 300);
  const quoted = /^(["'])((?:(?!\1)[^\\\n]|\\.)*)\1/.exec(rest);
  if (quoted) return quoted[2]!;
  return /^[^\n#]*?(?=:(\s|$))/m.exec(rest)?.[0].trim() ?? rest.split("\n")[0]!.trim();
}

function indexAnchors(doc: Document.Parsed): Map<Alias, Node | undefined> {
  const current = new Map<string, Node>();
  const result = new Map<Alias, Node | undefined>();
  // visit() walks in document order, so "the last anchor of that name before the alias" is current's entry.
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) result.set(node, current.get(node.source));
      else if (node.anchor) current.set(node.anchor, node);
    },
  });
  return result;
}
