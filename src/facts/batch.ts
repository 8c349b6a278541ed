// Many facts, one round trip: build one sh script that runs each fact's command between
// unguessable markers, and split its output back into per-fact results.
import { newMarker } from "../random.js";
import { quote } from "../shell.js";
import type { Fact, FactOutput } from "./define.js";

export interface FactBatch {
  script: string;
  marker: string;
  facts: readonly Fact<unknown>[];
}

/**
 * Each command runs with stdin from /dev/null in a subshell of its own, where it is parsed too (`eval`), so an `exit`,
 * a `cd` or even a syntax error in one fact cannot affect the next nor the shell running the batch: the batch itself
 * is safe to run in a long-lived session shell. Inline facts (FactSpec.inline) skip the subshell's fork.
 * Markers go to both streams so stderr splits the same way. The newline printed before each end marker is stripped
 * again by the parser, so a fact's output comes back byte for byte, trailing newline or not.
 */
export function buildBatch(facts: readonly Fact<unknown>[], marker = newMarker()): FactBatch {
  // One printf per stream between two facts (the end marker of one and the begin marker of the next): every write is
  // a packet the host's sshd encrypts and sends, and the bytes are the same as with a printf per marker.
  const begin = (i: number) => `'${marker}:B:${i}'`;
  const lines = [facts.length > 0 ? `printf '\\n%s\\n' ${begin(0)}; printf '%s\\n' ${begin(0)} >&2` : `printf '\\n'`];
  facts.forEach((fact, i) => {
    const end = `'${marker}:E:${i}'`;
    const last = i === facts.length - 1;
    lines.push(
      fact.inline ? `{\n${fact.command}\n} </dev/null` : `( eval ${quote(fact.command)} ) </dev/null`,
      last
        ? `pine_rc=$?; printf '\\n%s:%s\\n' ${end} "$pine_rc"; printf '\\n%s\\n' ${end} >&2`
        : `pine_rc=$?; printf '\\n%s:%s\\n%s\\n' ${end} "$pine_rc" ${begin(i + 1)}; printf '\\n%s\\n%s\\n' ${end} ${begin(i + 1)} >&2`,
    );
  });
  return { script: lines.join("\n") + "\n", marker, facts };
}

export type FactSlice = { ok: true; output: FactOutput } | { ok: false; reason: string };

/** Split the script's stdout/stderr into one output per fact, in order. Text before the first marker (login noise) is ignored. */
export function splitBatch(batch: FactBatch, stdout: string, stderr: string): FactSlice[] {
  let outPos = 0;
  let errPos = 0;
  return batch.facts.map((_, i) => {
    const begin = `\n${batch.marker}:B:${i}\n`;
    const end = `\n${batch.marker}:E:${i}:`;
    const b = stdout.indexOf(begin, outPos);
    const bodyStart = b + begin.length;
    const e = b < 0 ? -1 : stdout.indexOf(end, bodyStart);
    if (b < 0 || e < 0) return { ok: false, reason: "the fact script stopped before this fact finished (connection lost, killed, or output cut)" };
    const body = stdout.slice(bodyStart, e);
    const lineEnd = stdout.indexOf("\n", e + end.length);
    const rcText = stdout.slice(e + end.length, lineEnd < 0 ? undefined : lineEnd);
    outPos = lineEnd < 0 ? stdout.length : lineEnd;
    const exitCode = /^\d+$/.test(rcText) ? Number(rcText) : null;

    const errBegin = `${batch.marker}:B:${i}\n`;
    const errEnd = `\n${batch.marker}:E:${i}\n`;
    const eb = stderr.indexOf(errBegin, errPos);
    const ee = eb < 0 ? -1 : stderr.indexOf(errEnd, eb + errBegin.length);
    let errBody = "";
    if (eb >= 0 && ee >= 0) {
      errBody = stderr.slice(eb + errBegin.length, ee);
      errPos = ee + errEnd.length - 1;
    }
    return { ok: true, output: { stdout: body, stderr: errBody, exitCode } };
  });
}
