// Write a file atomically on the host: stdin goes to a mktemp file beside the target, gets its mode and
// owner, then is renamed over the target; on any failure the temp file is removed and the target is untouched.
import { dirname } from "node:path/posix";
import { quote } from "../../src/shell.js";
import { attributeCommands, type Attributes } from "./attributes.js";

/**
 * `size`: the bytes the controller sends. When the connection dies mid-upload the host's shell sees stdin end, and
 * `cat` exits 0 with part of the content: without this check that part would be renamed over the target.
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
