// The final table of a run: one row per host with changed / unchanged / failed, for stdout.
import Table from "cli-table3";
import type { HostOutcome } from "../runner/run-hosts.js";

export function summaryTable(outcomes: readonly HostOutcome<unknown>[], dry: boolean, color: boolean): string {
  const table = new Table({
    head: ["host", dry ? "would change" : "changed", "unchanged", "result"],
    style: { head: color ? ["bold"] : [], border: color ? ["grey"] : [] },
    chars: plainChars,
  });
  for (const o of outcomes) {
    const result = o.ok ? "ok" : o.skipped ? "not started" : `FAILED${o.step ? ` (${o.step})` : ""}`;
    table.push([o.host, o.changed, o.unchanged, result]);
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  const changed = outcomes.reduce((n, o) => n + o.changed, 0);
  return `${table.toString()}\n${outcomes.length} host(s): ${outcomes.length - failed} ok, ${failed} failed; ${changed} change(s)${dry ? " planned (dry run: nothing was changed)" : ""}\n`;
}

// Plain ASCII-ish borders so logs and CI output stay readable.
const plainChars = {
  top: "", "top-mid": "", "top-left": "", "top-right": "",
  bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
  left: "", "left-mid": "", mid: "", "mid-mid": "", right: "", "right-mid": "", middle: "  ",
};

/** A generic table (facts, exec results) with the same look. */
export function textTable(head: string[], rows: string[][], color: boolean): string {
  const table = new Table({ head, style: { head: color ? ["bold"] : [], border: [] }, chars: plainChars });
  for (const row of rows) table.push(row);
  return `${table.toString()}\n`;
}
