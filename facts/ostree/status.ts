// ostree.status: the deployments `ostree admin status` lists — which is booted, which boots next (pending), which is the rollback.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, splitLines } from "../output.js";

export interface OstreeDeployment {
  osname: string;
  commit: string;
  serial: number;
  booted: boolean;
  /** Newer than the booted one: what the next boot will use. */
  pending: boolean;
  /** Older than the booted one: kept to roll back to. */
  rollback: boolean;
  staged: boolean;
  version: string | null;
  origin: string | null;
}

export const status = defineFact<OstreeDeployment[]>({
  name: "ostree.status",
  command: `if command -v ostree >/dev/null 2>&1; then ostree admin status; else echo '@@unavailable ostree is not installed'; fi`,
  parse(output) {
    requireSmall(output, "ostree.status", 1024 * 1024);
    const lines = splitLines(output.stdout);
    if (lines[0]?.startsWith("@@unavailable ")) throw new FactUnavailable(lines[0].slice(14));
    if (output.exitCode !== 0) throw new FactUnavailable(`ostree admin status failed (exit ${output.exitCode ?? "none"}): ${output.stderr.trim() || lines.join(" ")}`);
    return parseOstreeStatus(lines);
  },
});

/** `* pine 3f2a...e1.0 (pending)` then indented `Version:` / `origin refspec:` lines. */
export function parseOstreeStatus(lines: readonly string[]): OstreeDeployment[] {
  const out: Array<OstreeDeployment & { annotated: boolean }> = [];
  for (const line of lines) {
    const head = /^([* ]) (\S+) ([0-9a-f]{64})\.(\d+)(?: \(([^)]*)\))?\s*$/.exec(line);
    if (head) {
      const notes = (head[5] ?? "").split(/[,\s]+/);
      out.push({
        osname: head[2]!, commit: head[3]!, serial: Number(head[4]), booted: head[1] === "*",
        pending: notes.includes("pending"), rollback: notes.includes("rollback"), staged: notes.includes("staged"),
        version: null, origin: null, annotated: head[5] !== undefined,
      });
      continue;
    }
    const last = out[out.length - 1];
    const detail = /^\s+(Version|origin refspec|origin):\s*(.*)$/.exec(line);
    if (last && detail) {
      if (detail[1] === "Version") last.version = detail[2]!.trim();
      else last.origin = detail[2]!.trim();
    }
  }
  // Older ostree prints no (pending)/(rollback): the list is in boot order, so above the booted one is pending, below is rollback.
  const bootedAt = out.findIndex((d) => d.booted);
  return out.map(({ annotated: _, ...d }, i) => {
    if (bootedAt >= 0 && !out.some((x) => x.annotated)) {
      d.pending = i < bootedAt;
      d.rollback = i > bootedAt;
    }
    return d;
  });
}
