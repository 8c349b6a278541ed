// Connect retries: which failures are worth another try, and jittered exponential back-off bounded in count and total time.

export interface RetryPolicy {
  /** Attempts in total, including the first (default 4). */
  attempts: number;
  /** First back-off ceiling in ms (default 250); doubles each time. */
  baseDelayMs: number;
  /** No single back-off longer than this (default 5 s). */
  maxDelayMs: number;
  /** Give up retrying once this much time has passed since the first attempt (default 30 s). */
  totalMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 5_000, totalMs: 30_000 };

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "EPIPE",
  "EAI_AGAIN",
]);

/** Network trouble (refused, reset, timed out, unreachable) is retried; auth and host key failures never are. */
export function isRetryable(error: unknown): boolean {
  const err = error as { code?: string; level?: string; message?: string };
  if (err.code && NETWORK_CODES.has(err.code)) return true;
  return err.level === "client-timeout" || /timed out while waiting for handshake/i.test(err.message ?? "");
}

/** "Full jitter" back-off before attempt `attempt + 1` (attempt counts from 1): uniform in [0, min(max, base·2^(attempt-1))]. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

/** Run `attempt` (given its 1-based number) until it succeeds, fails with a non-retryable error, or the policy's count or time runs out. */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (n: number) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const started = Date.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const delay = backoffDelay(policy, n);
      const outOfTime = Date.now() - started + delay > policy.totalMs;
      if (!isRetryable(error) || n >= policy.attempts || outOfTime || signal?.aborted) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
