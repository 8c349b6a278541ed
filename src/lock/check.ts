// Argument checks shared by the lock backends, with messages that name the argument.
import { LockError } from "./errors.js";

export function checkName(name: unknown): string {
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
    throw new LockError(`lock name must be 1-100 letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`, "usage");
  }
  return name;
}

export function checkMax(name: string, max: unknown): number {
  if (typeof max !== "number" || !Number.isInteger(max) || max < 1) {
    throw new LockError(`lock ${name}: max must be a whole number of at least 1, got ${JSON.stringify(max)}`, "usage");
  }
  return max;
}

/** A holder names a host: it becomes part of an etcd key, so no control characters and a sane length. */
export function checkHolder(name: string, holder: unknown): string {
  if (typeof holder !== "string" || holder.length === 0 || holder.length > 253 || /[\u0000-\u001f\u007f]/.test(holder)) {
    throw new LockError(`lock ${name}: holder must be a host name or address (1-253 printable characters), got ${JSON.stringify(holder)}`, "usage");
  }
  return holder;
}

export function checkTimeout(name: string, timeoutMs: unknown): number | undefined {
  if (timeoutMs === undefined) return undefined;
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new LockError(`lock ${name}: timeoutMs must be a number of milliseconds (0 or more), got ${JSON.stringify(timeoutMs)}`, "usage");
  }
  return timeoutMs;
}
