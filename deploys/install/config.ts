// The install's settings for one host, read from its inventory data and validated with messages that name the key.
import { UsageError } from "../../src/errors.js";

export type InstallMode = "vm" | "container";

/** Where the image (VM) or rootfs (container) comes from: a release tag, a URL with its sha256, or a file on the controller. */
export type ImageChoice = { release: string } | { url: string; sha256: string } | { file: string; sha256?: string };

export interface NetworkOverrides {
  iface?: string;
  address?: string;
  /** Dotted netmask (255.255.255.0) or a prefix length. */
  netmask?: string | number;
  gateway?: string;
  /** IPv6 address with its prefix, e.g. 2001:db8::10/64. */
  ipv6?: string;
  ipv6Gateway?: string;
}

export interface PartSizes {
  varBytes: number;
  varLogBytes: number;
  shareLogBytes: number;
}

export interface InstallConfig {
  node: number;
  mode?: InstallMode;
  image: ImageChoice;
  parts: PartSizes;
  network: NetworkOverrides;
  authorizedKeys: string[];
}

const MiB = 1024 * 1024;

export function readInstallConfig(host: string, data: Readonly<Record<string, unknown>>): InstallConfig {
  const where = (key: string) => `host ${host}: data.${key}`;
  const node = data.node;
  if (typeof node !== "number" || !Number.isInteger(node) || node < 0) {
    throw new UsageError(`${where("node")} must be the host's numeric id (an integer ≥ 0), got ${JSON.stringify(node)}`, {
      hint: "set it per host in the inventory: hosts: { web1: { data: { node: 1 } } }",
    });
  }
  const install = (data.install ?? {}) as Record<string, unknown>;
  if (typeof install !== "object" || Array.isArray(install)) throw new UsageError(`${where("install")} must be a mapping`);
  const mode = install.mode;
  if (mode !== undefined && mode !== "vm" && mode !== "container") throw new UsageError(`${where("install.mode")} must be vm or container, got ${JSON.stringify(mode)}`);
  return {
    node,
    ...(mode ? { mode } : {}),
    image: readImage(where, data),
    parts: parseParts(String(data.parts ?? "5G,128M,128M"), where("parts")),
    network: readNetwork(where, data.network),
    authorizedKeys: readKeys(where, data.authorizedKeys),
  };
}

function readImage(where: (k: string) => string, data: Readonly<Record<string, unknown>>): ImageChoice {
  const image = data.image as Record<string, unknown> | undefined;
  if (typeof data.release === "string" && data.release) return { release: data.release };
  if (image && typeof image === "object") {
    if (typeof image.url === "string") {
      if (typeof image.sha256 !== "string" || !/^[0-9a-f]{64}$/i.test(image.sha256)) {
        throw new UsageError(`${where("image.sha256")} is required with image.url: 64 hex digits`, { hint: "pine never writes an image whose sha256 it does not know" });
      }
      return { url: image.url, sha256: image.sha256.toLowerCase() };
    }
    if (typeof image.file === "string") {
      const sha = image.sha256;
      if (sha !== undefined && (typeof sha !== "string" || !/^[0-9a-f]{64}$/i.test(sha))) throw new UsageError(`${where("image.sha256")} must be 64 hex digits`);
      return { file: image.file, ...(typeof sha === "string" ? { sha256: sha.toLowerCase() } : {}) };
    }
  }
  throw new UsageError(`${where("release")}: no image source`, {
    hint: "set data.release (a release tag), or data.image: { url, sha256 }, or data.image: { file } for a file the controller streams",
  });
}

/** "5G,128M,128M": /var, its XFS log, /share's XFS log (share takes the rest of the disk). */
export function parseParts(text: string, where: string): PartSizes {
  const sizes = text.split(",").map((s) => s.trim());
  if (sizes.length !== 3) throw new UsageError(`${where} must be three sizes VAR,VARLOG,SHARELOG like 5G,128M,128M, got ${JSON.stringify(text)}`);
  const [varBytes, varLogBytes, shareLogBytes] = sizes.map((s) => parseSize(s, where)) as [number, number, number];
  return { varBytes, varLogBytes, shareLogBytes };
}

export function parseSize(text: string, where: string): number {
  const m = /^(\d+(?:\.\d+)?)([MGT])i?B?$/i.exec(text);
  if (!m) throw new UsageError(`${where}: size ${JSON.stringify(text)} must be a number with M, G or T (binary units), e.g. 5G or 128M`);
  const factor = { M: 1, G: 1024, T: 1024 * 1024 }[m[2]!.toUpperCase() as "M" | "G" | "T"];
  const bytes = Math.round(Number(m[1]) * factor) * MiB;
  if (bytes < 16 * MiB) throw new UsageError(`${where}: size ${text} is below the 16M minimum of an XFS filesystem or log`);
  return bytes;
}

function readNetwork(where: (k: string) => string, value: unknown): NetworkOverrides {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError(`${where("network")} must be a mapping`);
  const v = value as Record<string, unknown>;
  const allowed = ["iface", "address", "netmask", "gateway", "ipv6", "ipv6Gateway"];
  for (const key of Object.keys(v)) if (!allowed.includes(key)) throw new UsageError(`${where(`network.${key}`)} is not a network setting; allowed: ${allowed.join(", ")}`);
  const out: NetworkOverrides = {};
  for (const key of ["iface", "address", "gateway", "ipv6", "ipv6Gateway"] as const) {
    const item = v[key];
    if (item === undefined) continue;
    if (typeof item !== "string" || !/^[A-Za-z0-9.:/_-]+$/.test(item)) throw new UsageError(`${where(`network.${key}`)} must be a plain name or address, got ${JSON.stringify(item)}`);
    out[key] = item;
  }
  if (v.netmask !== undefined) {
    if (typeof v.netmask !== "string" && typeof v.netmask !== "number") throw new UsageError(`${where("network.netmask")} must be a dotted mask or a prefix length`);
    out.netmask = v.netmask;
  }
  return out;
}

function readKeys(where: (k: string) => string, value: unknown): string[] {
  if (value === undefined) return [];
  const keys = Array.isArray(value) ? value : [value];
  return keys.map((key, i) => {
    if (typeof key !== "string" || !/^(ssh-|ecdsa-|sk-)[A-Za-z0-9@.-]+ [A-Za-z0-9+/=]+( [^\n]*)?$/.test(key.trim())) {
      throw new UsageError(`${where(`authorizedKeys[${i}]`)} is not an OpenSSH public key line`);
    }
    return key.trim();
  });
}
