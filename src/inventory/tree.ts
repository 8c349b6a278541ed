// Walking the YAML node tree: aliases resolved once and budgeted, values turned into plain, prototype-safe data.
import { isAlias, isMap, isScalar, isSeq, type Node, type Scalar } from "yaml";
import type { UsageError } from "../errors.js";
import type { ParsedYaml } from "./document.js";
import { describeValue, defineOwn } from "./values.js";

/** Nodes that may be produced by expanding aliases, in the whole file. Far above any real inventory, far below a billion laughs. */
export const MAX_ALIAS_EXPANSION = 100_000;
/** Nesting deeper than this is refused rather than risking the stack. */
export const MAX_DEPTH = 64;

/** An empty value (`key:`), or an explicit null / ~. */
function isNull(node: Node | null): node is null | Scalar {
  return node === null || (isScalar(node) && node.value === null);
}

/** A node in context: where it sits (dotted path), where to point errors, whether it was reached through an alias. */
export interface Ref {
  node: Node | null;
  path: string;
  /** The node itself, or its key when the value is empty: what an error should point at. */
  at: { range?: readonly number[] | null } | null;
  viaAlias: boolean;
}

export interface Entry extends Ref {
  key: string;
  /** The key node, for errors about the name itself. */
  keyAt: { range?: readonly number[] | null } | null;
}

export class Tree {
  private expanded = 0;

  constructor(private readonly yaml: ParsedYaml) {}

  error(ref: Pick<Ref, "at">, message: string): UsageError {
    return this.yaml.locator.at(ref.at, message);
  }

  /** The root node as a Ref. */
  root(): Ref {
    const node = this.yaml.doc.contents as Node | null;
    return this.deref({ node, path: "", at: node, viaAlias: false });
  }

  /** Follows an alias to its anchored node; an empty value stays null. */
  deref(ref: Ref): Ref {
    if (!ref.node || !isAlias(ref.node)) return ref;
    const target = this.yaml.anchors.get(ref.node);
    if (!target) throw this.error(ref, `alias *${ref.node.source} refers to no anchor &${ref.node.source} defined before it`);
    return { node: target, path: ref.path, at: ref.at, viaAlias: true };
  }

  /** "a mapping", "a list", or the scalar described ("the string \"x\""). `secret` hides the value. */
  kind(ref: Ref, secret = false): string {
    const node = ref.node;
    if (isMap(node)) return "a mapping";
    if (isSeq(node)) return "a list";
    return describeValue(isScalar(node) ? node.value : null, secret);
  }

  /** The entries of a mapping, keys as text. An empty value has no entries; anything else is an error saying what `what` must be. */
  entries(ref: Ref, what: string): Entry[] {
    const node = ref.node;
    if (isNull(node)) return [];
    if (!isMap(node)) throw this.error(ref, `${ref.path || "the inventory"} must be ${what}, got ${this.kind(ref)}`);
    return node.items.map((pair) => {
      const keyNode = pair.key as Node | null;
      const key = this.keyText(keyNode, ref);
      const path = ref.path ? `${ref.path}.${key}` : key;
      const value = pair.value as Node | null;
      // `web3:` parses as an empty scalar positioned after the colon (or after a comment); point at the key instead.
      const at = value === null || (isScalar(value) && value.value === null && value.source === "") ? keyNode : value;
      return { ...this.deref({ node: value, path, at, viaAlias: ref.viaAlias }), key, keyAt: keyNode };
    });
  }

  /** The items of a list; an empty value has none. */
  items(ref: Ref, what: string): Ref[] {
    const node = ref.node;
    if (isNull(node)) return [];
    if (!isSeq(node)) throw this.error(ref, `${ref.path} must be ${what}, got ${this.kind(ref)}`);
    return node.items.map((item, index) =>
      this.deref({ node: item as Node | null, path: `${ref.path}[${index}]`, at: item as Node | null, viaAlias: ref.viaAlias }),
    );
  }

  /** A scalar's value (null for an empty value); `undefined` when it is a mapping or list. */
  scalar(ref: Ref): unknown {
    if (ref.node === null) return null;
    return isScalar(ref.node) ? ref.node.value : undefined;
  }

  /** Text of a scalar that names something (a key, a host in a group): strings as they are, numbers as written. */
  nameText(ref: Ref): string | undefined {
    const node = ref.node;
    if (!isScalar(node)) return undefined;
    if (typeof node.value === "string") return node.value;
    if (typeof node.value === "number") return (node as Scalar & { source?: string }).source ?? String(node.value);
    return undefined;
  }

  private keyText(keyNode: Node | null, parent: Ref): string {
    const ref = this.deref({ node: keyNode, path: parent.path, at: keyNode ?? parent.at, viaAlias: parent.viaAlias });
    const text = this.nameText(ref);
    if (text === undefined) {
      throw this.error(ref, `${parent.path || "the top level"} has a key that is ${this.kind(ref)}; keys must be plain text`);
    }
    if (text === "<<" && isScalar(ref.node) && ref.node.type === "PLAIN") {
      throw this.error(ref, `YAML merge keys (<<) are not supported; put shared settings in defaults or a group`);
    }
    return text;
  }

  /** Converts a data subtree to plain JSON-like values: own properties only, no prototype setters, aliases budgeted. */
  plain(ref: Ref, depth = 0, active: Set<Node> = new Set()): unknown {
    const node = ref.node;
    if (node === null) return null;
    if (ref.viaAlias && ++this.expanded > MAX_ALIAS_EXPANSION) {
      throw this.error(ref,
        `YAML aliases (*name) expand to more than ${MAX_ALIAS_EXPANSION} values; this looks like an alias bomb ("billion laughs") and is refused`);
    }
    if (depth > MAX_DEPTH) throw this.error(ref, `${ref.path} is nested more than ${MAX_DEPTH} levels deep`);
    if (active.has(node)) throw this.error(ref, `${ref.path} contains an alias to one of its own parents (a cycle)`);
    if (isScalar(node)) {
      const value = node.value;
      if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
      throw this.error(ref, `${ref.path} has a value of an unsupported type (${node.tag ?? typeof value}); use text, numbers, true/false, lists or mappings`);
    }
    // `active` holds the nodes being converted above this one: meeting one again through an alias is a cycle.
    active.add(node);
    try {
      if (isSeq(node)) return this.items(ref, "a list").map((item) => this.plain(item, depth + 1, active));
      const out: Record<string, unknown> = {};
      for (const entry of this.entries(ref, "a mapping")) {
        if (Object.hasOwn(out, entry.key)) throw this.error(entry, `duplicate key ${JSON.stringify(entry.key)} in ${ref.path}`);
        defineOwn(out, entry.key, this.plain(entry, depth + 1, active));
      }
      return out;
    } finally {
      active.delete(node);
    }
  }
}
