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
