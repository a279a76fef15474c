// How long to wait before trying again: one exponential backoff with jitter for
// every retry in the subscriber (a failed GET in http-client.ts, a feed that
// could not be read in subscriber.ts, an event parked in the inbox by the
// commit stage or the inbox retry).

/**
 * The wait before retry `attempt` (0 for the first): a random delay below the bound
 * min(maxMs, baseMs × 2^attempt), so many clients that failed together do not retry in step
 * ("full jitter"). `certainShare` of the bound is always waited (0.5: between half and all of
 * it), for retries that must neither storm nor starve.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random, certainShare = 0): number {
  const bound = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.floor(bound * certainShare + random() * bound * (1 - certainShare));
}

export interface RetryPolicy {
  /** Attempts before an event becomes a dead letter. */
  maxAttempts: number;
  /** First retry delay; doubles each attempt, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const RETRY_DEFAULTS: RetryPolicy = { maxAttempts: 8, baseDelayMs: 2_000, maxDelayMs: 10 * 60_000 };

/** The wait before an event's next attempt (`attempt` 1: the first retry): between half and all of the backoff's bound. */
export function retryDelayMs(attempt: number, p: RetryPolicy, random = Math.random): number {
  return backoffMs(Math.max(0, attempt - 1), p.baseDelayMs, p.maxDelayMs, random, 0.5);
}
