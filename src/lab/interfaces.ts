// Read-only views of the controller's network: links, IPv4 addresses, named network namespaces.
import { readdir } from "node:fs/promises";
import { runLocal } from "./local-command.js";

export interface InterfaceAddress {
  link: string;
  address: string;
  prefixLength: number;
}

interface IpAddrJson {
  ifname?: string;
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }>;
}

export async function listIpv4Addresses(): Promise<InterfaceAddress[]> {
  const { stdout } = await runLocal("ip", ["-j", "-4", "addr", "show"], { step: "list interface addresses" });
  const links = parseJsonArray<IpAddrJson>(stdout);
  return links.flatMap((link) =>
    (link.addr_info ?? [])
      .filter((info) => info.family === "inet" && info.local !== undefined)
      .map((info) => ({ link: link.ifname ?? "?", address: info.local!, prefixLength: info.prefixlen ?? 32 })),
  );
}

export async function listLinks(): Promise<string[]> {
  const { stdout } = await runLocal("ip", ["-j", "link", "show"], { step: "list network links" });
  return parseJsonArray<{ ifname?: string }>(stdout).flatMap((link) => (link.ifname ? [link.ifname] : []));
}

/** Names of the namespaces `ip netns` knows, read from /run/netns where it mounts them. */
export async function listNamespaces(): Promise<string[]> {
  try {
    return await readdir("/run/netns");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** PIDs of every process inside a named namespace (sshd and its sessions). */
export async function namespacePids(namespace: string): Promise<number[]> {
  try {
    const { stdout } = await runLocal("ip", ["netns", "pids", namespace], { step: `list processes in ${namespace}` });
    return stdout.split(/\s+/).filter(Boolean).map(Number).filter(Number.isInteger);
  } catch {
    return [];
  }
}

function parseJsonArray<T>(text: string): T[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const value: unknown = JSON.parse(trimmed);
  return Array.isArray(value) ? (value as T[]) : [];
}
