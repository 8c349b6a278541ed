// Paths given to file operations: absolute, no NUL — anything else is a mistake in the deploy.
import { UsageError } from "../../src/errors.js";

export function requireAbsolute(path: unknown, where: string): string {
  if (typeof path !== "string" || !path.startsWith("/") || path.includes("\0")) {
    throw new UsageError(`${where}: path must be an absolute path, got ${JSON.stringify(path)}`);
  }
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

/** The invalidation pattern for an operation that writes, creates or removes `path` (see HostContext.invalidate). */
export function factsAbout(path: string): string {
  return `files@${path}`;
}
