// Ad-hoc inventories from a host list on the command line (`pine exec 10.0.0.5,root@10.0.0.6:2222 -- uptime`).
import { existsSync } from "node:fs";
import { UsageError } from "../errors.js";
import { loadInventory } from "./load.js";
import { ADDRESS_RULE, checkSetting, parseAddress } from "./settings.js";
import { cliLayer, resolveHost } from "./resolve.js";
import type { Layer } from "./parse.js";
import type { Inventory, InventoryOverrides, ResolvedHost } from "./types.js";
import { quoteForMessage } from "./values.js";

/**
 * Decides whether the INVENTORY argument is a file or a host list, then loads it:
 * - it contains a comma → a host list (`web1,web2`, `10.0.0.5,`);
 * - it names an existing file (or directory, which then fails clearly) → an inventory file;
 * - it looks like a path (has a / or \, starts with . or ~, or ends in .yaml/.yml) → an inventory
 *   file, so a misspelt file name reports "no such file" instead of trying to SSH to "invntory.yaml";
 * - otherwise → a host list of one (`pine exec db1 -- uptime`).
 */
export function openInventory(target: string, overrides: InventoryOverrides = {}): Inventory {
  return isHostList(target) ? inventoryFromHosts(target, overrides) : loadInventory(target, overrides);
}

export function isHostList(target: string): boolean {
  if (target.includes(",")) return true;
  if (existsSync(target)) return false;
  return !(/[/\\]/.test(target) || /^[.~]/.test(target) || /\.ya?ml$/i.test(target));
}

/**
 * Hosts from entries like `10.0.0.5`, `db1.example.com`, `admin@web2:2222`, `[2001:db8::1]:22`,
 * `2001:db8::1` (an unbracketed IPv6 literal takes no port). A string is split on commas; empty
 * entries are skipped. Names are the address (plus `:port` when given, IPv6 then in brackets); there are no groups or data
 * apart from --data.
 */
export function inventoryFromHosts(list: string | string[], overrides: InventoryOverrides = {}): Inventory {
  const entries = (Array.isArray(list) ? list : [list]).flatMap((l) => l.split(",")).map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) throw new UsageError(`the host list ${quoteForMessage(String(list))} names no hosts`);
  const cli = cliLayer(overrides);
  const hosts: ResolvedHost[] = [];
  for (const entry of entries) {
    const { name, address, layer } = parseEntry(entry);
    if (hosts.some((h) => h.name === name)) throw new UsageError(`the host list names ${name} twice`);
    hosts.push(resolveHost(name, address, [], [layer, cli.layer], cli.data));
  }
  return { path: Array.isArray(list) ? list.join(",") : list, hosts, groups: {} };
}

function parseEntry(entry: string): { name: string; address: string; layer: Layer } {
  const match = /^(?:([^@]*)@)?(\[[^\]]*\]|[^@]*?)(?::(\d+))?$/.exec(entry);
  // A bare IPv6 literal is all colons: the last group would be read as a port, so take it whole.
  const bareIpv6 = /^(?:([^@]*)@)?([^@[\]]*:[^@[\]]*:[^@[\]]*)$/.exec(entry);
  const parts = bareIpv6 && parseAddress(bareIpv6[2]!) ? [bareIpv6[0], bareIpv6[1], bareIpv6[2], undefined] : match;
  const [, user, host = "", port] = parts ?? [];
  const address = parseAddress(host);
  if (!parts || address === undefined) {
    throw new UsageError(`host list entry ${quoteForMessage(entry)} is not [user@]host[:port] with host ${ADDRESS_RULE}`);
  }
  const layer: Layer = { settings: {}, data: {} };
  if (user !== undefined) {
    const checked = checkSetting("user", user, `the user in host list entry ${quoteForMessage(entry)}`);
    if ("problem" in checked) throw new UsageError(checked.problem);
    layer.settings.user = user;
  }
  if (port !== undefined) {
    const checked = checkSetting("port", Number(port), `the port in host list entry ${quoteForMessage(entry)}`);
    if ("problem" in checked) throw new UsageError(checked.problem);
    layer.settings.port = Number(port);
  }
  const hostPart = address.includes(":") ? `[${address}]` : address;
  return { name: port === undefined ? address : `${hostPart}:${port}`, address, layer };
}
