// packages.apk: Alpine packages installed (optionally pinned with name=version) or removed; the index refreshed when asked.
import { UsageError } from "../../src/errors.js";
import { defineOperation, type Step } from "../../src/operations/define.js";
import { command } from "../../src/shell.js";
import { apkInstalled } from "../../facts/packages/apk-installed.js";
import { describeChange, missing, parseSpecs } from "./spec.js";

export interface ApkArgs {
  packages?: string | string[];
  present?: boolean;
  /** Refresh the index first (`apk update`); apk keeps no age we can read cheaply, so this always runs. */
  update?: boolean;
  timeoutMs?: number;
}

export const apk = defineOperation<ApkArgs>({
  name: "packages.apk",
  describe: (a) => `${a.update ? "apk index updated; " : ""}${a.packages === undefined ? "" : `${a.present === false ? "packages absent:" : "packages:"} ${[a.packages].flat().join(" ")}`}`.trim(),
  facts: () => [apkInstalled],
  async plan(host, a) {
    const specs = a.packages === undefined ? [] : parseSpecs(a.packages, "packages.apk");
    if (specs.length === 0 && !a.update) throw new UsageError("packages.apk: give packages, update: true, or both");
    if (a.present === false && specs.some((s) => s.version !== undefined)) throw new UsageError("packages.apk: versions make no sense when removing packages");
    const installed = await host.fact(apkInstalled);
    const steps: Step[] = [];
    const changes: string[] = [];
    if (a.update) {
      steps.push({ command: "apk update -q", timeoutMs: a.timeoutMs });
      changes.push("update the package index");
    }
    if (a.present === false) {
      const remove = specs.filter((s) => Object.hasOwn(installed, s.name)).map((s) => s.name);
      if (remove.length) {
        steps.push({ command: command("apk", "del", "-q", ...remove), timeoutMs: a.timeoutMs });
        changes.push(`remove ${remove.join(", ")}`);
      }
    } else {
      const install = missing(specs, installed);
      if (install.length) {
        steps.push({ command: command("apk", "add", "-q", "--no-progress", ...install.map((i) => i.spec.spec)), timeoutMs: a.timeoutMs });
        changes.push(`install ${describeChange(install)}`);
      }
    }
    if (steps.length === 0) return null;
    return { description: changes.join("; "), steps, invalidates: ["packages.*"] };
  },
});
