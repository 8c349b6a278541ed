// Data precedence: deep merge of layers and `--data key=value` overrides, without touching any prototype.
import { parseDocument, isScalar } from "yaml";
import { UsageError } from "../errors.js";
import { defineOwn, isPlainObject, quoteForMessage } from "./values.js";

/** A fresh deep copy of `over` merged onto `base`: mappings key by key, lists and scalars replaced. Inputs are not changed. */
export function mergeData(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = cloneData(base) as Record<string, unknown>;
  for (const key of Object.keys(over)) {
    const mine = Object.hasOwn(out, key) ? out[key] : undefined;
    const theirs = over[key];
    defineOwn(out, key, isPlainObject(mine) && isPlainObject(theirs) ? mergeData(mine, theirs) : cloneData(theirs));
  }
  return out;
}

/** Deep copy, so hosts never share (and so never mutate) each other's data objects. */
export function cloneData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneData);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) defineOwn(out, key, cloneData(value[key]));
  return out;
}

export interface DataOverride {
  path: string[];
  value: unknown;
}

/** Parses `--data install.mode=vm`; the value is a YAML scalar (`3` a number, `true` a boolean, `'3'` the string). */
export function parseDataOverride(text: string): DataOverride {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new UsageError(`--data ${quoteForMessage(text)} must look like key=value (dotted keys set nested values: install.mode=vm)`);
  const key = text.slice(0, eq);
  const path = key.split(".");
  if (path.some((part) => part.trim() === "")) {
    throw new UsageError(`--data ${quoteForMessage(text)}: the key ${quoteForMessage(key)} has an empty part; write names separated by single dots`);
  }
  return { path, value: scalarValue(text.slice(eq + 1)) };
}

/** Applies overrides in order onto a copy of `data`; a scalar in the way of a dotted key is replaced by a mapping. */
export function applyDataOverrides(data: Record<string, unknown>, overrides: DataOverride[]): Record<string, unknown> {
  const out = cloneData(data) as Record<string, unknown>;
  for (const { path, value } of overrides) {
    let target = out;
    for (const part of path.slice(0, -1)) {
      const next = Object.hasOwn(target, part) ? target[part] : undefined;
      if (isPlainObject(next)) {
        target = next;
      } else {
        const made: Record<string, unknown> = {};
        defineOwn(target, part, made);
        target = made;
      }
    }
    defineOwn(target, path[path.length - 1]!, cloneData(value));
  }
  return out;
}

/**
 * Plain words stay strings unless YAML reads them as a number, boolean or null; quoted values lose
 * their quotes. Anything else (flow lists, comments, several lines) is kept as the literal text,
 * so `--data 'motd=hi # there'` means exactly what was typed.
 */
function scalarValue(raw: string): unknown {
  if (raw === "") return "";
  const doc = parseDocument(raw, { logLevel: "silent" });
  const node = doc.contents;
  if (doc.errors.length || doc.warnings.length || !isScalar(node) || doc.comment || doc.commentBefore || node.comment) return raw;
  if (node.range?.[0] !== 0 || node.range[1] !== raw.length) return raw;
  if (node.type === "QUOTE_SINGLE" || node.type === "QUOTE_DOUBLE") return node.value;
  const value = node.value;
  return typeof value === "number" || typeof value === "boolean" || value === null ? value : raw;
}
