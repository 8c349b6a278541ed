// Small value helpers shared by validation and merging: describing a value for a person, prototype-safe writes.

/** "the string \"abc\"", "the number 3", "true", "nothing (an empty value)", "a list", "a mapping". */
export function describeValue(value: unknown, secret = false): string {
  if (value === null || value === undefined) return "nothing (an empty value)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return secret ? "a string" : `the string ${quoteForMessage(value)}`;
  if (typeof value === "number") return secret ? "a number" : `the number ${value}`;
  if (typeof value === "boolean") return secret ? "a boolean" : String(value);
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

/** JSON-quoted (so newlines and control characters show as escapes) and shortened. */
export function quoteForMessage(text: string, max = 80): string {
  const quoted = JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
  return quoted;
}

/**
 * Sets an own, enumerable property. Plain assignment of "__proto__" would replace the object's
 * prototype instead of storing data; defineProperty never does.
 */
export function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
