// Check a run's output: every host answered every fact, without errors. A run that fails a check is a failed run.
import type { ChildRun } from "./child.js";

interface FactsDocument {
  hosts?: Record<string, Record<string, unknown>>;
  errors?: Record<string, string>;
}

/** Why a `pine facts --json` run is not a success, or null when it is. */
export function checkPineRun(run: ChildRun, hosts: readonly string[], facts: readonly string[]): string | null {
  const basic = checkProcess(run);
  if (basic) return basic;
  let doc: FactsDocument;
  try {
    doc = JSON.parse(run.stdout) as FactsDocument;
  } catch {
    return `stdout is not one JSON document: ${clip(run.stdout)}`;
  }
  const errors = Object.entries(doc.errors ?? {});
  if (errors.length) return `${errors.length} host(s) in errors, e.g. ${errors[0]![0]}: ${clip(errors[0]![1])}`;
  for (const host of hosts) {
    const values = doc.hosts?.[host];
    if (!values) return `host ${host} missing from the output`;
    for (const fact of facts) {
      const value = values[fact];
      if (value === undefined) return `host ${host}: fact ${fact} missing`;
      if (value !== null && typeof value === "object" && "unavailable" in value) return `host ${host}: fact ${fact} unavailable: ${clip(JSON.stringify(value))}`;
    }
    // The lab gives host hI the hostname hI: a cheap check that values are real.
    if (values["server.hostname"] !== host) return `host ${host}: server.hostname is ${JSON.stringify(values["server.hostname"])}`;
  }
  return null;
}

/** Why a floor run is not a success, or null; its SSH-only time otherwise comes back in `sshMs`. */
export function checkFloorRun(run: ChildRun, hostCount: number): { problem: string | null; sshMs: number } {
  const basic = checkProcess(run);
  if (basic) return { problem: basic, sshMs: Number.NaN };
  try {
    const doc = JSON.parse(run.stdout) as { ok: string[]; errors: Record<string, string>; sshMs: number };
    if (doc.ok.length !== hostCount) return { problem: `${hostCount - doc.ok.length} host(s) failed: ${clip(JSON.stringify(doc.errors))}`, sshMs: Number.NaN };
    return { problem: null, sshMs: doc.sshMs };
  } catch {
    return { problem: `stdout is not JSON: ${clip(run.stdout)}`, sshMs: Number.NaN };
  }
}

function checkProcess(run: ChildRun): string | null {
  if (run.timedOut) return `timed out after ${Math.round(run.wallMs)} ms`;
  if (run.code !== 0) return `exit ${run.code ?? run.signal}: ${clip(run.stderr || run.stdout)}`;
  return null;
}

function clip(text: string): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > 300 ? `${one.slice(0, 300)}…` : one;
}
