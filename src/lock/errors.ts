// Errors of the reboot lock: why an acquire or release failed, and what to check.
import { PineError, type PineErrorDetails } from "../errors.js";

export type LockFailure =
  /** The wait ran past its timeoutMs. */
  | "timeout"
  /** The caller's signal aborted the wait. */
  | "aborted"
  /** The lock was closed while waiting. */
  | "closed"
  /** Bad arguments (name, max, holder, endpoints). */
  | "usage"
  /** The backend could not be reached or did not answer in time. */
  | "unreachable"
  /** The backend answered with an error. */
  | "backend";

export class LockError extends PineError {
  constructor(
    message: string,
    readonly failure: LockFailure,
    details: PineErrorDetails = {},
  ) {
    super(message, details);
    this.name = "LockError";
  }
}
