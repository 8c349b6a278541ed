// The inventory's public API: load a file or a host list, resolve hosts, select them with --limit.
export { loadInventory } from "./load.js";
export { openInventory, inventoryFromHosts, isHostList } from "./adhoc.js";
export { selectHosts } from "./select.js";
export { INVENTORY_MAX_BYTES } from "./read.js";
export type {
  ConnectionKey, ConnectionSettings, ConnectorKind, HostKeyCheck, Inventory, InventoryOverrides, ResolvedHost,
} from "./types.js";
