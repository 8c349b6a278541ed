// Write a file atomically on the host: the bytes go to a temp file beside the target, which gets its mode and owner
// and is then renamed over the target; on any failure the temp file is removed and the target is untouched.
//
// Small contents travel inside the command and are written by the shell's own printf: no upload, no `cat`, and the
// write cannot be cut short (a command cut mid-way is a syntax error the shell never runs). With the mode set by the
// umask at creation, a new 0644 file costs one program on the host (`mv`). Larger contents go on stdin to `cat`, with a
// byte count before the rename.
import { dirname } from "node:path/posix";
import type { FileStat } from "../../facts/files/file.js";
import type { Step } from "../../src/operations/define.js";
import { randomHex } from "../../src/random.js";
import { printfLiteral, quote } from "../../src/shell.js";
import { attributeCommands, octal, parseMode, type Attributes } from "./attributes.js";

/** An embedded printf literal up to this size: the whole command stays far below Linux's 128 KiB limit per argument. */
const EMBED_MAX_LITERAL = 64 * 1024;

export interface AtomicWrite {
  path: string;
  bytes: Buffer;
  attributes: Attributes;
  /** Operation name, for errors. */
  where: string;
  /** The target as the plan saw it: its mode and owner are kept unless `attributes` say otherwise. null: absent. */
  existing: FileStat | null;
  /** What to show instead of the command (it may embed the content). */
  display: string;
}

export function atomicWriteStep(w: AtomicWrite): Step {
  const literal = printfLiteral(w.bytes);
  if (literal.length <= EMBED_MAX_LITERAL) return { command: embeddedWriteCommand(w, literal), display: w.display };
  return { command: atomicWriteCommand(w.path, w.attributes, w.where, w.bytes.length), stdin: w.bytes, display: w.display };
}

function embeddedWriteCommand(w: AtomicWrite, literal: string): string {
  const target = quote(w.path);
  const wanted = parseMode(w.attributes.mode, w.where);
  const mode = wanted ?? w.existing?.mode ?? 0o644;
  // The umask gives the final mode at creation when it has no bits a umask cannot grant (x, setuid, sticky).
  const byUmask = (mode & ~0o666) === 0;
  const keepOwner = w.existing && w.attributes.user === undefined && w.attributes.group === undefined;
  return [
    "set -e",
    `umask ${byUmask ? octal(~mode & 0o777) : "077"}`,
    `pine_tmp=${quote(`${dirname(w.path)}/.pine.${randomHex(6)}`)}`,
    `trap 'rm -f "$pine_tmp"' EXIT`,
    // noclobber: the name is unguessable, and an existing file (or link) of that name is never written through.
    `set -C`,
    `printf '${literal}' > "$pine_tmp"`,
    ...(byUmask ? [] : [`chmod ${octal(mode)} "$pine_tmp"`]),
    // The temp file is ours: give it the target's owner only when that is someone else (-O/-G: shell builtins).
    ...(keepOwner ? [`if [ ! -O ${target} ] || [ ! -G ${target} ]; then chown ${w.existing!.uid}:${w.existing!.gid} "$pine_tmp"; fi`] : []),
    ...attributeCommands('"$pine_tmp"', { ...w.attributes, mode: undefined }, w.where),
    `mv -fT "$pine_tmp" ${target}`,
    `trap - EXIT`,
  ].join("\n");
}

/**
 * The stdin form. `size`: the bytes the controller sends. When the connection dies mid-upload the host's shell sees
 * stdin end, and `cat` exits 0 with part of the content: without this check that part would be renamed over the target.
 */
export function atomicWriteCommand(path: string, attributes: Attributes, where: string, size?: number): string {
  const target = quote(path);
  return [
    "set -e",
    `pine_tmp=$(mktemp ${quote(`${dirname(path)}/.pine.XXXXXXXX`)})`,
    `trap 'rm -f "$pine_tmp"' EXIT`,
    `cat > "$pine_tmp"`,
    ...(size === undefined
      ? []
      : [`pine_size=$(wc -c < "$pine_tmp"); if [ "$pine_size" -ne ${size} ]; then echo "received $pine_size of ${size} bytes: the upload was cut short; ${path.replace(/[^\w./-]/g, "?")} left unchanged" >&2; exit 1; fi`]),
    // An existing file keeps its mode and owner unless the deploy says otherwise (mktemp's 0600 would tighten it).
    `if [ -f ${target} ]; then chmod "$(stat -c %a ${target})" "$pine_tmp"; chown "$(stat -c %u:%g ${target})" "$pine_tmp"; else chmod 0644 "$pine_tmp"; fi`,
    ...attributeCommands('"$pine_tmp"', attributes, where),
    `mv -fT "$pine_tmp" ${target}`,
    `trap - EXIT`,
  ].join("\n");
}
