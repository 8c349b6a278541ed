// ostree.deployments(sysroot): `ostree admin status` of a given sysroot ("/" for the running system; another path
// for a tree being prepared, e.g. a mounted image), parsed like ostree.status.
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";
import { requireSmall, splitLines } from "../output.js";
import { parseOstreeStatus, type OstreeDeployment } from "./status.js";

export const deployments = defineFactFamily<[sysroot: string], OstreeDeployment[]>({
  name: "ostree.deployments",
  command: (sysroot) =>
    `if command -v ostree >/dev/null 2>&1; then ostree admin status ${sysroot === "/" ? "" : `--sysroot=${quote(sysroot)}`}; else echo '@@unavailable ostree is not installed'; fi`,
  parse(output, sysroot) {
    requireSmall(output, "ostree.deployments", 1024 * 1024);
    const lines = splitLines(output.stdout);
    if (lines[0]?.startsWith("@@unavailable ")) throw new FactUnavailable(lines[0].slice(14));
    if (output.exitCode !== 0) throw new FactUnavailable(`ostree admin status of ${sysroot} failed (exit ${output.exitCode ?? "none"}): ${output.stderr.trim() || lines.join(" ")}`);
    if (lines.length === 1 && lines[0] === "No deployments.") return [];
    return parseOstreeStatus(lines);
  },
});
