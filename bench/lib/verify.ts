// Check a run's output. A run that fails a check is a failed run: it is listed, never averaged in.
import type { ChildRun } from "./child.js";
import type { BenchHost } from "./labs.js";

export const FACTS = ["server.hostname", "server.distro", "server.kernel", "net.addresses", "block.devices"];

/** Every process-level problem: timeout, non-zero exit. */
export function checkProcess(run: ChildRun): string | null {
  if (run.timedOut) return `timed out after ${Math.round(run.wallMs)} ms`;
  if (run.code !== 0) return `exit ${run.code ?? run.signal}: ${clip(run.stderr || run.stdout)}`;
  return null;
}

/** `pine facts --json`: one document, every host answered every fact, hostnames right. */
export function checkPineFacts(run: ChildRun, hosts: readonly BenchHost[]): string | null {
  const basic = checkProcess(run);
  if (basic) return basic;
  let doc: { hosts?: Record<string, Record<string, unknown>>; errors?: Record<string, string> };
  try {
    doc = JSON.parse(run.stdout) as typeof doc;
  } catch {
    return `stdout is not one JSON document: ${clip(run.stdout)}`;
  }
  const errors = Object.entries(doc.errors ?? {});
  if (errors.length) return `${errors.length} host(s) in errors, e.g. ${errors[0]![0]}: ${clip(errors[0]![1])}`;
  for (const host of hosts) {
    const values = doc.hosts?.[host.name];
    if (!values) return `host ${host.name} missing from the output`;
    for (const fact of FACTS) {
      const value = values[fact];
      if (value === undefined) return `host ${host.name}: fact ${fact} missing`;
      if (value !== null && typeof value === "object" && "unavailable" in value) return `host ${host.name}: fact ${fact} unavailable: ${clip(JSON.stringify(value))}`;
    }
    if (values["server.hostname"] !== host.hostname) return `host ${host.name}: server.hostname is ${JSON.stringify(values["server.hostname"])}, expected ${host.hostname}`;
  }
  return null;
}

type Event = { type: string; host?: string; [key: string]: unknown };

function events(stdout: string): Event[] | string {
  const out: Event[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as Event);
    } catch {
      return `stdout line is not JSON: ${clip(line)}`;
    }
  }
  return out;
}

/** `pine exec --json -- uname -a`: an exec:result with exit 0 and `Linux hI ` for every host, and run:end ok. */
export function checkPineExec(run: ChildRun, hosts: readonly BenchHost[]): string | null {
  const basic = checkProcess(run);
  if (basic) return basic;
  const list = events(run.stdout);
  if (typeof list === "string") return list;
  const results = new Map(list.filter((e) => e.type === "exec:result").map((e) => [e.host!, e]));
  for (const host of hosts) {
    const r = results.get(host.name);
    if (!r) return `host ${host.name}: no exec:result`;
    if (r.exitCode !== 0 || !String(r.stdout).startsWith(`Linux ${host.hostname} `)) return `host ${host.name}: exit ${String(r.exitCode)}, stdout ${clip(String(r.stdout))}`;
  }
  const end = list.find((e) => e.type === "run:end");
  if (!end || end.ok !== true) return `run:end is not ok: ${clip(JSON.stringify(end ?? null))}`;
  return null;
}

/** `pine deploy --json`: every host done and ok with 10 changed (first run) or 10 unchanged (second run). */
export function checkPineDeploy(run: ChildRun, hosts: readonly BenchHost[], which: "first" | "second"): string | null {
  const basic = checkProcess(run);
  if (basic) return basic;
  const list = events(run.stdout);
  if (typeof list === "string") return list;
  const done = new Map(list.filter((e) => e.type === "host:done").map((e) => [e.host!, e]));
  const [changed, unchanged] = which === "first" ? [10, 0] : [0, 10];
  for (const host of hosts) {
    const d = done.get(host.name);
    if (!d) return `host ${host.name}: no host:done`;
    if (d.ok !== true || d.changed !== changed || d.unchanged !== unchanged) {
      return `host ${host.name}: expected ok, ${changed} changed, ${unchanged} unchanged; got ok=${String(d.ok)} changed=${String(d.changed)} unchanged=${String(d.unchanged)}`;
    }
  }
  const end = list.find((e) => e.type === "run:end");
  if (!end || end.ok !== true) return `run:end is not ok: ${clip(JSON.stringify(end ?? null))}`;
  return null;
}

/** A floor run: every host ran `true`; its SSH-only time comes back in `sshMs`. */
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

export function clip(text: string): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > 300 ? `${one.slice(0, 300)}…` : one;
}
