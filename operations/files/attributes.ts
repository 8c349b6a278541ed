// Mode and ownership of a path: parse what the deploy asked for, compare with the host, plan chmod/chown.
import { UsageError } from "../../src/errors.js";
import { command, quote } from "../../src/shell.js";
import type { FileStat } from "../../facts/files/file.js";

export interface Attributes {
  /** Permission bits: a number (0o644) or an octal string ("644", "0755"). */
  mode?: number | string;
  user?: string;
  group?: string;
}

export function parseMode(mode: number | string | undefined, where: string): number | undefined {
  if (mode === undefined) return undefined;
  if (typeof mode === "number") {
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new UsageError(`${where}: mode must be 0-0o7777, got ${mode}`);
    return mode;
  }
  if (!/^[0-7]{3,4}$/.test(mode)) throw new UsageError(`${where}: mode must be octal like "644" or "0755", got ${JSON.stringify(mode)}`);
  return parseInt(mode, 8);
}

export function octal(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

/** The commands that bring an existing path's mode and owner to what was asked, and what they change. */
export function attributeChanges(path: string, stat: FileStat, wanted: Attributes, where: string): { steps: string[]; changes: string[] } {
  const steps: string[] = [];
  const changes: string[] = [];
  const mode = parseMode(wanted.mode, where);
  if (mode !== undefined && stat.mode !== mode) {
    steps.push(command("chmod", octal(mode), path));
    changes.push(`mode ${octal(stat.mode)} → ${octal(mode)}`);
  }
  const owner = ownerSpec(wanted, stat);
  if (owner) {
    steps.push(command("chown", "-h", owner.spec, path));
    changes.push(owner.change);
  }
  return { steps, changes };
}

function ownerSpec(wanted: Attributes, stat: FileStat): { spec: string; change: string } | undefined {
  const userDiffers = wanted.user !== undefined && wanted.user !== stat.user && wanted.user !== String(stat.uid);
  const groupDiffers = wanted.group !== undefined && wanted.group !== stat.group && wanted.group !== String(stat.gid);
  if (!userDiffers && !groupDiffers) return undefined;
  const spec = `${userDiffers ? wanted.user : ""}${groupDiffers ? `:${wanted.group}` : ""}`;
  const from = `${stat.user ?? stat.uid}:${stat.group ?? stat.gid}`;
  const to = `${userDiffers ? wanted.user : stat.user ?? stat.uid}:${groupDiffers ? wanted.group : stat.group ?? stat.gid}`;
  return { spec, change: `owner ${from} → ${to}` };
}

/** chmod/chown commands for a freshly created path (nothing to compare with); `word` is already a shell word. */
export function attributeCommands(word: string, wanted: Attributes, where: string): string[] {
  const steps: string[] = [];
  const mode = parseMode(wanted.mode, where);
  if (mode !== undefined) steps.push(`chmod ${octal(mode)} ${word}`);
  if (wanted.user !== undefined || wanted.group !== undefined) {
    steps.push(`chown -h ${quote(`${wanted.user ?? ""}${wanted.group !== undefined ? `:${wanted.group}` : ""}`)} ${word}`);
  }
  return steps;
}

export function describeAttributes(wanted: Attributes): string {
  const parts: string[] = [];
  if (wanted.mode !== undefined) parts.push(`mode ${typeof wanted.mode === "number" ? octal(wanted.mode) : wanted.mode}`);
  if (wanted.user !== undefined || wanted.group !== undefined) parts.push(`owner ${wanted.user ?? ""}${wanted.group !== undefined ? `:${wanted.group}` : ""}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}
