// Loading an inventory file from disk: read (size-capped), parse, validate, resolve.
import { dirname, resolve } from "node:path";
import { parseInventoryText } from "./parse.js";
import { readCappedText } from "./read.js";
import { resolveInventory } from "./resolve.js";
import type { Inventory, InventoryOverrides } from "./types.js";

/**
 * Synchronous: an inventory is read once at start-up, before anything runs in parallel, and a sync
 * API lets the CLI validate it before opening any connection. Every problem is a UsageError whose
 * message starts with "file:line:col:" where a position is known.
 */
export function loadInventory(path: string, overrides: InventoryOverrides = {}): Inventory {
  const absolute = resolve(path);
  const text = readCappedText(path, "inventory");
  const parsed = parseInventoryText(text, path);
  return resolveInventory(parsed, absolute, dirname(absolute), overrides);
}
