// files.file(path): what is at a path (without following a final symlink), or null when nothing is.
// Only stat's fields are printed, never the path, so names with spaces, quotes or newlines cannot confuse the parse.
import { defineFactFamily, FactUnavailable, type FactOutput } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";
import { keyValues, requireSmall, splitLines } from "../output.js";

export type FileType = "file" | "directory" | "link" | "other";

export interface FileStat {
  path: string;
  type: FileType;
  /** Permission bits including setuid/setgid/sticky, e.g. 0o644. */
  mode: number;
  /** Owner's name, null when the uid has no name on the host. */
  user: string | null;
  group: string | null;
  uid: number;
  gid: number;
  size: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
  /** For a symlink, the target exactly as stored (may be relative or dangling). */
  linkTarget?: string;
}

/** A path as one shell word that cannot be read as an option. */
export function pathWord(path: string): string {
  return quote(path.startsWith("-") ? `./${path}` : path);
}

const FORMAT = ["mode=%f", "uid=%u", "gid=%g", "size=%s", "mtime=%Y", "user=%U", "group=%G"].join("\n");

/** Prints FORMAT's lines, then `@@target` and the raw link target for a symlink; `@@absent` if nothing is there. */
export function statCommand(path: string): string {
  const p = pathWord(path);
  return [
    // Nothing there: known from the shell's own test, no program run (the common case of a first deploy).
    `if [ ! -e ${p} ] && [ ! -L ${p} ]; then echo @@absent`,
    `elif pine_st=$(LC_ALL=C stat -c ${quote(FORMAT)} ${p} 2>&1); then`,
    `  printf '%s\\n' "$pine_st"`,
    `  if [ -L ${p} ]; then printf '@@target\\n'; readlink ${p}; fi`,
    `else case $pine_st in *"No such file"*|*"Not a directory"*) echo @@absent;; *) printf '@@error %s\\n' "$pine_st";; esac; fi`,
  ].join("\n");
}

export function parseStat(output: FactOutput, path: string): FileStat | null {
  requireSmall(output, "files.file", 64 * 1024);
  const text = output.stdout;
  if (/^@@absent$/m.test(text) && !text.includes("mode=")) return null;
  const err = /^@@error (.*)$/m.exec(text);
  if (err) throw new FactUnavailable(`cannot stat ${path}: ${err[1]}`);
  const targetAt = text.indexOf("\n@@target\n");
  const head = targetAt < 0 ? text : text.slice(0, targetAt + 1);
  const kv = keyValues(splitLines(head));
  const raw = kv.get("mode");
  const nums = ["uid", "gid", "size", "mtime"].map((k) => kv.get(k));
  if (!raw || !/^[0-9a-f]+$/i.test(raw) || nums.some((n) => n === undefined || !/^\d+$/.test(n))) {
    throw new FactUnavailable(`stat of ${path} printed something unexpected`);
  }
  const bits = parseInt(raw, 16);
  const fmt = bits & 0o170000;
  const type: FileType = fmt === 0o100000 ? "file" : fmt === 0o040000 ? "directory" : fmt === 0o120000 ? "link" : "other";
  const name = (v: string | undefined) => (v === undefined || v === "" || v === "UNKNOWN" ? null : v);
  const stat: FileStat = {
    path,
    type,
    mode: bits & 0o7777,
    user: name(kv.get("user")),
    group: name(kv.get("group")),
    uid: Number(nums[0]),
    gid: Number(nums[1]),
    size: Number(nums[2]),
    mtime: Number(nums[3]),
  };
  if (type === "link" && targetAt >= 0) {
    // readlink adds exactly one newline; the target itself may contain newlines.
    let target = text.slice(targetAt + "\n@@target\n".length);
    if (target.endsWith("\n")) target = target.slice(0, -1);
    stat.linkTarget = target;
  }
  return stat;
}

export const file = defineFactFamily<[path: string], FileStat | null>({
  name: "files.file",
  inline: true,
  command: statCommand,
  parse: parseStat,
});
