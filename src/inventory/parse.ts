// Inventory YAML text → validated layers (defaults, groups, hosts), before any merging. Pure: no I/O.
import { parseYaml } from "./document.js";
import {
  ADDRESS_RULE, CONNECTION_KEYS, NAME_RULE, checkSetting, isConnectionKey, isValidName, parseAddress,
} from "./settings.js";
import { didYouMean } from "./suggest.js";
import { Tree, type Entry, type Ref } from "./tree.js";
import type { ConnectionSettings } from "./types.js";
import { defineOwn, isPlainObject } from "./values.js";

/** Settings and data written at one level (defaults, one group, or one host). */
export interface Layer {
  settings: Partial<ConnectionSettings>;
  data: Record<string, unknown>;
}

export interface ParsedHost {
  name: string;
  address?: string;
  layer: Layer;
}

export interface ParsedGroup {
  name: string;
  hosts: string[];
  layer: Layer;
}

export interface ParsedInventory {
  defaults: Layer;
  hosts: ParsedHost[];
  groups: ParsedGroup[];
}

type Level = "defaults" | "group" | "host";

const TOP_KEYS = ["defaults", "hosts", "groups"];
const EXTRA_KEYS: Record<Level, string[]> = { defaults: ["data"], group: ["hosts", "data"], host: ["address", "data"] };

/** Parses and validates an inventory; `file` is only used in error messages. */
export function parseInventoryText(text: string, file: string): ParsedInventory {
  const tree = new Tree(parseYaml(text, file));
  const top = new Map<string, Entry>();
  for (const entry of tree.entries(tree.root(), "a mapping with defaults, hosts and groups")) {
    if (!TOP_KEYS.includes(entry.key)) {
      throw tree.error({ at: entry.keyAt },
        `unknown top-level key ${JSON.stringify(entry.key)}${didYouMean(entry.key, TOP_KEYS)}; allowed: ${TOP_KEYS.join(", ")}`);
    }
    top.set(entry.key, entry);
  }

  const defaultsRef = top.get("defaults");
  const defaults = defaultsRef ? parseLayer(tree, defaultsRef, "defaults").layer : { settings: {}, data: {} };

  const hostsRef = top.get("hosts");
  if (!hostsRef) throw tree.error(tree.root(), "the inventory has no hosts: mapping (hosts: { web1: { address: 10.0.0.5 } })");
  const hosts = tree.entries(hostsRef, "a mapping of host names to their settings").map((entry) => parseHost(tree, entry));
  if (hosts.length === 0) throw tree.error(hostsRef, "hosts is empty; define at least one host");

  const hostNames = new Set(hosts.map((h) => h.name));
  const groupsRef = top.get("groups");
  const groupEntries = groupsRef ? tree.entries(groupsRef, "a mapping of group names to { hosts: [...], data: {...} }") : [];
  const groupNames = new Set(groupEntries.map((e) => e.key));
  const groups = groupEntries.map((entry) => parseGroup(tree, entry, hostNames, groupNames));
  return { defaults, hosts, groups };
}

function checkName(tree: Tree, entry: Entry, what: "host" | "group"): void {
  if (!isValidName(entry.key)) {
    throw tree.error({ at: entry.keyAt },
      `${what} name ${JSON.stringify(entry.key)} is not allowed: names must ${NAME_RULE} (at most 253 characters)`);
  }
}

function parseHost(tree: Tree, entry: Entry): ParsedHost {
  checkName(tree, entry, "host");
  const value = tree.scalar(entry);
  if (typeof value === "string" || typeof value === "number") {
    throw tree.error(entry, `${entry.path} must be a mapping of settings, got ${tree.kind(entry)}; to set its address write ${entry.key}: { address: ${tree.nameText(entry)} }`);
  }
  const { layer, extras } = parseLayer(tree, entry, "host");
  const host: ParsedHost = { name: entry.key, layer };
  const addressRef = extras.get("address");
  if (addressRef) {
    const value = tree.scalar(addressRef);
    const address = typeof value === "string" ? parseAddress(value) : undefined;
    if (address === undefined) throw tree.error(addressRef, `${addressRef.path} must be ${ADDRESS_RULE}, got ${tree.kind(addressRef)}`);
    host.address = address;
  } else if (parseAddress(entry.key) === undefined) {
    throw tree.error({ at: entry.keyAt },
      `host ${JSON.stringify(entry.key)} has no address and its name is not ${ADDRESS_RULE}; add address: to it`);
  }
  return host;
}

function parseGroup(tree: Tree, entry: Entry, hostNames: Set<string>, groupNames: Set<string>): ParsedGroup {
  checkName(tree, entry, "group");
  if (hostNames.has(entry.key)) {
    throw tree.error({ at: entry.keyAt },
      `group ${JSON.stringify(entry.key)} has the same name as a host; --limit could not tell them apart, so rename one`);
  }
  const { layer, extras } = parseLayer(tree, entry, "group");
  const members = new Set<string>();
  const hostsRef = extras.get("hosts");
  for (const item of hostsRef ? tree.items(hostsRef, "a list of host names") : []) {
    const name = tree.nameText(item);
    if (name === undefined) throw tree.error(item, `${item.path} must be a host name, got ${tree.kind(item)}`);
    if (!hostNames.has(name)) {
      const why = groupNames.has(name)
        ? `; "${name}" is a group, and groups list hosts, not other groups`
        : `${didYouMean(name, hostNames)}; every host in a group must be defined under hosts:`;
      throw tree.error(item, `${item.path}: unknown host ${JSON.stringify(name)}${why}`);
    }
    members.add(name);
  }
  return { name: entry.key, hosts: [...members], layer };
}

/** Settings and data of one level; the level's other keys (address, hosts) come back in `extras` for the caller. */
function parseLayer(tree: Tree, ref: Ref, level: Level): { layer: Layer; extras: Map<string, Ref> } {
  const allowed = [...CONNECTION_KEYS, ...EXTRA_KEYS[level]];
  const layer: Layer = { settings: {}, data: {} };
  const extras = new Map<string, Ref>();
  const what = level === "group" ? "a mapping like { hosts: [...], data: {...} }" : "a mapping of settings";
  for (const entry of tree.entries(ref, what)) {
    const key = entry.key;
    if (isConnectionKey(key)) {
      const value = tree.scalar(entry);
      // A mapping or list has no scalar value; stand-ins make the message say which it was.
      const stand = value === undefined ? (tree.kind(entry) === "a list" ? [] : {}) : value;
      const checked = checkSetting(key, stand, entry.path);
      if ("problem" in checked) throw tree.error(entry, checked.problem);
      defineOwn(layer.settings, key, checked.value);
    } else if (key === "data") {
      const data = tree.plain(entry);
      if (data !== null && !isPlainObject(data)) throw tree.error(entry, `${entry.path} must be a mapping of names to values, got ${tree.kind(entry)}`);
      layer.data = data ?? {};
    } else if (allowed.includes(key)) {
      extras.set(key, entry);
    } else {
      throw tree.error({ at: entry.keyAt }, `${ref.path}: ${misplaced(key, level) ?? `unknown key ${JSON.stringify(key)}${didYouMean(key, allowed)}; allowed here: ${allowed.join(", ")}`}`);
    }
  }
  return { layer, extras };
}

function misplaced(key: string, level: Level): string | undefined {
  if (key === "address") return `address is only allowed on a host (each host has its own), not in ${level === "group" ? "a group" : "defaults"}`;
  if (key === "hosts") return `hosts is only allowed in a group (groups: { name: { hosts: [...] } })`;
  if (key === "groups" && level === "host") return `a host cannot list its groups; list the host in groups: { name: { hosts: [...] } }`;
  return undefined;
}
