// Layers → resolved hosts: settings and data by precedence (defaults < groups in file order < host < CLI), paths made absolute.
import { homedir, userInfo } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { UsageError } from "../errors.js";
import { applyDataOverrides, mergeData, parseDataOverride, type DataOverride } from "./merge.js";
import type { Layer, ParsedInventory } from "./parse.js";
import { checkSetting, flagName, isConnectionKey } from "./settings.js";
import type { ConnectionKey, ConnectionSettings, Inventory, InventoryOverrides, ResolvedHost } from "./types.js";
import { defineOwn } from "./values.js";

export const DEFAULT_PORT = 22;
export const DEFAULT_CONNECT_TIMEOUT = 10;

/** `baseDir` anchors relative key/knownHosts paths written in the inventory; CLI paths are relative to the working directory. */
export function resolveInventory(parsed: ParsedInventory, path: string, baseDir: string, overrides: InventoryOverrides = {}): Inventory {
  const cli = cliLayer(overrides);
  const groups: Record<string, string[]> = {};
  for (const group of parsed.groups) defineOwn(groups, group.name, [...group.hosts]);
  const members = parsed.groups.map((g) => new Set(g.hosts));
  const hosts = parsed.hosts.map((host) => {
    const memberOf = parsed.groups.filter((_, i) => members[i]!.has(host.name));
    const fileLayers = [parsed.defaults, ...memberOf.map((g) => g.layer), host.layer].map((l) => withAbsolutePaths(l, baseDir));
    return resolveHost(host.name, host.address ?? host.name, memberOf.map((g) => g.name), [...fileLayers, cli.layer], cli.data);
  });
  return { path, hosts, groups };
}

/** One host from its layers, lowest precedence first. */
export function resolveHost(name: string, address: string, groups: string[], layers: Layer[], dataOverrides: DataOverride[]): ResolvedHost {
  const settings: Partial<ConnectionSettings> = {};
  let data: Record<string, unknown> = {};
  for (const layer of layers) {
    Object.assign(settings, layer.settings);
    data = mergeData(data, layer.data);
  }
  const explicit = (Object.keys(settings) as ConnectionKey[]).filter((k) => settings[k] !== undefined);
  const host: ResolvedHost = {
    name,
    address,
    user: settings.user ?? currentUser(),
    port: settings.port ?? DEFAULT_PORT,
    ...(settings.key !== undefined && { key: settings.key }),
    knownHosts: settings.knownHosts ?? join(homedir(), ".ssh", "known_hosts"),
    hostKeyCheck: settings.hostKeyCheck ?? "strict",
    sudo: settings.sudo ?? false,
    ...(settings.sudoUser !== undefined && { sudoUser: settings.sudoUser }),
    connector: settings.connector ?? "ssh",
    ...(settings.jump !== undefined && { jump: settings.jump }),
    connectTimeout: settings.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    groups,
    data: applyDataOverrides(data, dataOverrides),
    explicit,
  };
  if (settings.password !== undefined) {
    Object.defineProperty(host, "password", { value: settings.password, enumerable: false, writable: true, configurable: true });
  }
  return host;
}

/** The CLI's connection flags and --data entries, validated; errors name the flag. */
export function cliLayer(overrides: InventoryOverrides): { layer: Layer; data: DataOverride[] } {
  const settings: Partial<ConnectionSettings> = {};
  for (const [key, raw] of Object.entries(overrides.connection ?? {})) {
    if (raw === undefined) continue;
    if (!isConnectionKey(key)) throw new UsageError(`unknown connection setting ${JSON.stringify(key)}`);
    // Flags may arrive as text ("2222"); numbers are what the file would hold.
    const value = (key === "port" || key === "connectTimeout") && typeof raw === "string" && /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    const checked = checkSetting(key, value, flagName(key));
    if ("problem" in checked) throw new UsageError(checked.problem);
    defineOwn(settings, key, checked.value);
  }
  const layer = withAbsolutePaths({ settings, data: {} }, process.cwd());
  return { layer, data: (overrides.data ?? []).map(parseDataOverride) };
}

function withAbsolutePaths(layer: Layer, baseDir: string): Layer {
  const settings = { ...layer.settings };
  if (settings.key !== undefined) settings.key = expandPath(settings.key, baseDir);
  if (settings.knownHosts !== undefined) settings.knownHosts = expandPath(settings.knownHosts, baseDir);
  return { settings, data: layer.data };
}

/** `~` and `~/x` → the home directory; relative paths → against `baseDir`. */
export function expandPath(path: string, baseDir: string): string {
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return join(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** The login name ssh would use. Containers may have no passwd entry for the uid; fall back to $USER. */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? "root";
  }
}
