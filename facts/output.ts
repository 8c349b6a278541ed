// Reading fact output: sections, key=value lines, octal/hex escapes, and the limits that refuse absurd output.
import { FactUnavailable, type FactOutput } from "../src/facts/define.js";

/** Facts whose honest output is a few kilobytes refuse anything larger than this, rather than parse garbage. */
export const SMALL_OUTPUT_LIMIT = 1024 * 1024;

/**
 * Commands mark what they print with lines `@@name [arg]`: which tool answered (`@@ip`, `@@ifconfig`),
 * or why nothing did (`@@unavailable reason`). Text before the first marker goes to section "".
 */
export interface Section {
  name: string;
  arg: string;
  lines: string[];
}

export function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

export function sections(text: string): Section[] {
  const out: Section[] = [{ name: "", arg: "", lines: [] }];
  for (const line of splitLines(text)) {
    const m = /^@@([a-z0-9_-]+)(?: (.*))?$/.exec(line);
    if (m) out.push({ name: m[1]!, arg: m[2] ?? "", lines: [] });
    else out[out.length - 1]!.lines.push(line);
  }
  return out;
}

export function section(all: Section[], name: string): Section | undefined {
  return all.find((s) => s.name === name);
}

/** Throw FactUnavailable if the command printed `@@unavailable reason`. */
export function throwIfUnavailable(all: Section[]): void {
  const u = section(all, "unavailable");
  if (u) throw new FactUnavailable(u.arg || "the host cannot tell");
}

/** `key=value` lines into a map (first `=` splits; later duplicates win). */
export function keyValues(lines: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of lines) {
    const i = line.indexOf("=");
    if (i > 0) map.set(line.slice(0, i), line.slice(i + 1));
  }
  return map;
}

/** Refuse output larger than `limit` bytes with a clear reason instead of parsing it. */
export function requireSmall(output: FactOutput, what: string, limit = SMALL_OUTPUT_LIMIT): void {
  if (output.stdout.length > limit) {
    throw new FactUnavailable(`${what}: output is ${output.stdout.length} bytes, more than the ${limit} this fact accepts; refusing to guess`);
  }
}

/** A non-negative integer from decimal text, or null. */
export function toInt(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return Number.isSafeInteger(n) ? n : null;
}

/** Decode the `\040`-style octal escapes of /proc/mounts and mountinfo. */
export function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Decode the `\x20`-style escapes lsblk -P uses in values. */
export function unescapeHex(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Values of a shell-style assignment file (os-release, lsb-release): `KEY=value`, `KEY="va\"lue"`, `KEY='value'`. */
export function shellAssignments(lines: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const raw of lines) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw);
    if (!m) continue;
    map.set(m[1]!, unquoteShellValue(m[2]!.trim()));
  }
  return map;
}

function unquoteShellValue(value: string): string {
  if (value.startsWith('"')) {
    const end = findClosingDoubleQuote(value);
    return value.slice(1, end).replace(/\\([$`"\\])/g, "$1");
  }
  if (value.startsWith("'")) {
    const end = value.indexOf("'", 1);
    return value.slice(1, end < 0 ? undefined : end);
  }
  // Unquoted: stop at an unescaped comment or whitespace.
  const m = /^(?:\\.|[^\s#\\])*/.exec(value);
  return (m ? m[0] : value).replace(/\\(.)/g, "$1");
}

function findClosingDoubleQuote(value: string): number {
  for (let i = 1; i < value.length; i++) {
    if (value[i] === "\\") i++;
    else if (value[i] === '"') return i;
  }
  return value.length;
}

/** Shell snippet: does command $1 exist? (POSIX `command -v`, silent). */
export function hasTool(name: string): string {
  return `command -v ${name} >/dev/null 2>&1`;
}
