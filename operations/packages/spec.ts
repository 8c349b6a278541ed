// Package lists as deploys write them: "nginx" (any version) or "nginx=1.22.1-9" (exactly that version).
import { UsageError } from "../../src/errors.js";

export interface PackageSpec {
  name: string;
  version?: string;
  /** As written, for the package manager's command line. */
  spec: string;
}

const NAME = /^[a-z0-9][a-z0-9+._-]*$/i;
const VERSION = /^[A-Za-z0-9.+~:_-]+$/;

export function parseSpecs(packages: unknown, where: string): PackageSpec[] {
  const list = typeof packages === "string" ? [packages] : packages;
  if (!Array.isArray(list) || list.length === 0) throw new UsageError(`${where}: packages must be a non-empty list of names (name or name=version)`);
  return list.map((entry) => {
    if (typeof entry !== "string") throw new UsageError(`${where}: package ${JSON.stringify(entry)} must be a string`);
    const at = entry.indexOf("=");
    const name = at < 0 ? entry : entry.slice(0, at);
    const version = at < 0 ? undefined : entry.slice(at + 1);
    if (!NAME.test(name)) throw new UsageError(`${where}: ${JSON.stringify(entry)} is not a package name`);
    if (version !== undefined && !VERSION.test(version)) throw new UsageError(`${where}: ${JSON.stringify(entry)} has an invalid version after "="`);
    return { name, ...(version !== undefined ? { version } : {}), spec: entry };
  });
}

/** Which specs are not satisfied by `installed` (name → version), and which of them are upgrades/downgrades. */
export function missing(specs: PackageSpec[], installed: Readonly<Record<string, string>>): { spec: PackageSpec; from?: string }[] {
  const out: { spec: PackageSpec; from?: string }[] = [];
  for (const spec of specs) {
    const have = Object.hasOwn(installed, spec.name) ? installed[spec.name] : undefined;
    if (have === undefined) out.push({ spec });
    else if (spec.version !== undefined && have !== spec.version) out.push({ spec, from: have });
  }
  return out;
}

export function describeChange(items: { spec: PackageSpec; from?: string }[]): string {
  return items.map(({ spec, from }) => (from ? `${spec.name} ${from} → ${spec.version}` : spec.spec)).join(", ");
}
