// Which host indexes a lab has, from every trace it may have left: state, namespaces, veths, host directories.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { listLinks, listNamespaces } from "./interfaces.js";
import type { LabLayout } from "./layout.js";
import { indexFromNamespace, indexFromVeth } from "./names.js";
import type { LabState } from "./state.js";

/** Sorted indexes of every host that exists or may have existed, so a crashed or half-built lab is still found. */
export async function findHostIndexes(lab: string, layout: LabLayout, state?: LabState): Promise<number[]> {
  const [namespaces, links, hostDirs] = await Promise.all([
    listNamespaces(),
    listLinks(),
    readdir(join(layout.dir, "hosts")).catch(() => [] as string[]),
  ]);
  const found = [
    ...(state?.name === lab ? state.hosts.map((host) => host.index) : []),
    ...namespaces.map((namespace) => indexFromNamespace(lab, namespace)),
    ...links.map((link) => indexFromVeth(lab, link)),
    ...hostDirs.map((dir) => (/^h[1-9][0-9]*$/.test(dir) ? Number(dir.slice(1)) : undefined)),
  ];
  return [...new Set(found.filter((index): index is number => index !== undefined))].sort((a, b) => a - b);
}
