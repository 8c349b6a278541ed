// Helpers shared by the inventory tests: fixture paths and capturing the UsageError a call throws.
import { fileURLToPath } from "node:url";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../src/errors.js";

export const FIXTURES = fileURLToPath(new URL("../fixtures/inventory/", import.meta.url));

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "pine-inventory-"));
}

/** The UsageError `fn` throws; fails the test if it throws anything else or nothing. */
export function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw new Error(`expected a UsageError, got ${String(error)}`, { cause: error });
  }
  throw new Error("expected a UsageError, but nothing was thrown");
}
