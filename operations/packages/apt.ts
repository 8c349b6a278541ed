// packages.apt: Debian/Ubuntu packages installed (optionally at pinned versions) or removed, with the package lists
// refreshed when older than a given age. Only the difference from dpkg's view is planned. Options are the ones
// Debian 8's apt-get already understands, and no prompt can block: noninteractive, --force-confdef/--force-confold.
import { UsageError } from "../../src/errors.js";
import { defineOperation, type Step } from "../../src/operations/define.js";
import { command } from "../../src/shell.js";
import { aptCacheAge } from "../../facts/packages/apt-cache-age.js";
import { dpkgInstalled } from "../../facts/packages/dpkg-installed.js";
import { describeChange, missing, parseSpecs } from "./spec.js";

export interface AptArgs {
  /** Names, or name=version to pin. Optional when only updating. */
  packages?: string | string[];
  /** false removes the packages (default true). */
  present?: boolean;
  /** With present: false, also remove their configuration files. */
  purge?: boolean;
  /** Run apt-get update first; with cacheMaxAge, only when the lists are older than that many seconds. */
  update?: boolean;
  cacheMaxAge?: number;
  /** Install recommended packages too (default false: small hosts). */
  recommends?: boolean;
  timeoutMs?: number;
}

const APT = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"];

export function aptCommand(...words: string[]): string {
  return command(...APT, ...words);
}

export const apt = defineOperation<AptArgs>({
  name: "packages.apt",
  describe: (a) => {
    const list = a.packages === undefined ? "" : ` ${[a.packages].flat().join(" ")}`;
    return `${a.update ? "apt lists updated; " : ""}${a.packages === undefined ? "" : a.present === false ? "packages absent:" : "packages:"}${list}`.trim();
  },
  validate(a) {
    const specs = a.packages === undefined ? [] : parseSpecs(a.packages, "packages.apt");
    if (specs.length === 0 && !a.update) throw new UsageError("packages.apt: give packages, update: true, or both");
  },
  facts: (a) => [dpkgInstalled, ...(a.update ? [aptCacheAge] : [])],
  async plan(host, a) {
    const specs = a.packages === undefined ? [] : parseSpecs(a.packages, "packages.apt");
    if (a.cacheMaxAge !== undefined && (!Number.isFinite(a.cacheMaxAge) || a.cacheMaxAge < 0)) throw new UsageError(`packages.apt: cacheMaxAge must be seconds >= 0, got ${a.cacheMaxAge}`);
    if (a.present === false && specs.some((s) => s.version !== undefined)) throw new UsageError("packages.apt: versions make no sense when removing packages");
    const installed = await host.fact(dpkgInstalled);
    const steps: Step[] = [];
    const changes: string[] = [];
    const install = a.present === false ? [] : missing(specs, installed);
    const remove = a.present === false ? specs.filter((s) => Object.hasOwn(installed, s.name)) : [];

    if (a.update) {
      const age = await host.fact(aptCacheAge);
      const stale = a.cacheMaxAge === undefined || age === null || age > a.cacheMaxAge;
      // Without cacheMaxAge every run updates (and so reports a change); with it, a converged host makes none.
      if (stale) {
        steps.push({ command: aptCommand("update"), timeoutMs: a.timeoutMs });
        changes.push(age === null ? "update package lists (never updated)" : `update package lists (${age}s old)`);
      }
    }
    if (install.length) {
      steps.push({ command: aptCommand(...(a.recommends ? [] : ["--no-install-recommends"]), "install", ...install.map((i) => i.spec.spec)), timeoutMs: a.timeoutMs });
      changes.push(`install ${describeChange(install)}`);
    }
    if (remove.length) {
      steps.push({ command: aptCommand(a.purge ? "purge" : "remove", ...remove.map((s) => s.name)), timeoutMs: a.timeoutMs });
      changes.push(`${a.purge ? "purge" : "remove"} ${remove.map((s) => s.name).join(", ")}`);
    }
    if (steps.length === 0) return null;
    return { description: changes.join("; "), steps, invalidates: ["packages.*"] };
  },
});
