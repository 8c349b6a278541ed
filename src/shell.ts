// POSIX sh quoting: every value that reaches a remote command line goes through quote().

/** Quote one word for POSIX sh (dash, busybox ash, bash): single quotes, with ' written as '\''. */
export function quote(value: string | number): string {
  const text = String(value);
  if (text !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Build a command line from words, quoting each. */
export function command(...words: Array<string | number>): string {
  return words.map(quote).join(" ");
}

/**
 * A printf format (to go inside single quotes) that prints exactly `bytes`: printable ASCII as itself, `%` doubled,
 * `\` doubled, everything else (quotes, newlines, NUL, bytes ≥ 0x7f, a leading `-`) as a three-digit octal escape.
 */
export function printfLiteral(bytes: Buffer): string {
  let out = "";
  let runStart = -1;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    // A leading "-" would be read as an option by printf: escaped like the rest.
    const plain = b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c && b !== 0x25 && !(i === 0 && b === 0x2d);
    if (plain) {
      if (runStart < 0) runStart = i;
      continue;
    }
    if (runStart >= 0) {
      out += bytes.toString("latin1", runStart, i);
      runStart = -1;
    }
    out += b === 0x5c ? "\\\\" : b === 0x25 ? "%%" : `\\${b.toString(8).padStart(3, "0")}`;
  }
  if (runStart >= 0) out += bytes.toString("latin1", runStart);
  return out;
}
