// Fair share of the publisher between its readers. Node serves every request on one thread:
// a reader that sends 200 HTML renderings of 200-obs lists at once (1.5 MB, ~0.1 s of CPU each)
// would put 20 s of work in front of every other reader's poll. So each authenticated user gets
// a share: at most `maxInFlight` requests and `maxCost` units of work running at once. More wait
// in that user's own queue, first in first out, so they only ever wait behind that user's own
// work; other readers never queue behind it. A queue that is full, or a wait longer than
// `maxWaitMs`, is refused with 429 and Retry-After.
//
// 429, not 503: the publisher is not unavailable (other readers are being served at that very
// moment), this reader is over its share; RFC 6585 has 429 for exactly that. Our subscriber
// retries both with backoff and honours Retry-After (subscriber/http-client.ts).
//
// A default subscriber is never refused: it keeps at most 16 connections per publisher (undici's
// pool, HTTP_DEFAULTS.connectionsPerOrigin) whatever its --fetch-concurrency, and its lists of 100
// cost 2, so its 16 requests fit maxInFlight and at worst wait briefly for cost, never for a full queue.
import type { NextFunction, Request, Response } from 'express';
import { ATOM_MEDIA_TYPE, REST_PATH } from '../shared/protocol.ts';
import { HttpError } from './http-errors.ts';
import { wantsHtml } from '../shared/web/negotiate.ts';

export interface FairShareOptions {
  /** Requests of one user running at once. */
  maxInFlight: number;
  /** Cost units (requestCost) of one user running at once; a costlier request runs alone. */
  maxCost: number;
  /** Requests of one user waiting to run; one more is refused. 0: refuse instead of waiting. */
  maxQueued: number;
  /** Longest a request waits in its user's queue before it is refused. */
  maxWaitMs: number;
}

export const FAIR_SHARE_DEFAULTS: Readonly<FairShareOptions> = { maxInFlight: 16, maxCost: 32, maxQueued: 64, maxWaitMs: 10_000 };

/** Retry-After of a refusal: long enough for a queue to move, short enough for our subscriber's retry cap (5 s). */
export const RETRY_AFTER_S = 2;

/** A request refused for its user's share: the queue was full, it waited too long, or its client left. */
export class OverShareError extends HttpError {
  override name = 'OverShareError';
  constructor(
    readonly user: string,
    readonly reason: 'queue-full' | 'waited-too-long' | 'client-gone',
    readonly retryAfterS = RETRY_AFTER_S,
  ) {
    super(
      429,
      'too_many_requests',
      reason === 'queue-full'
        ? `user "${user}" has too many requests waiting; try again in ${retryAfterS} s`
        : `user "${user}"'s earlier requests are taking too long; try again in ${retryAfterS} s`,
    );
  }
}

/** Resources of a list per cost unit, and how much dearer its HTML view is than its JSON (measured: ~5x). */
const LIST_ITEMS_PER_UNIT = 50;
const HTML_FACTOR = 5;
/** uuids a cost estimate counts at most (the route refuses more than 200 anyway). */
const MAX_COUNTED_UUIDS = 1000;

/**
 * A request's cost in units of about 5 ms of the publisher's thread: 1 for a feed page, a
 * resource, the root page (2 as HTML); a list one per 50 resources (a 100-uuid list: 2), its HTML
 * five times that (200 obs as HTML: 20). Read from the URL alone, before any work is done.
 */
export function requestCost(req: Request): number {
  const isList = req.path.startsWith(`${REST_PATH}/`) && req.path.indexOf('/', REST_PATH.length + 1) < 0;
  if (!isList) return wantsHtml(req, ATOM_MEDIA_TYPE) ? 2 : 1;
  const uuids = typeof req.query.uuids === 'string' ? req.query.uuids : '';
  let n = 1;
  for (let i = uuids.indexOf(','); i >= 0 && n < MAX_COUNTED_UUIDS; i = uuids.indexOf(',', i + 1)) n++;
  const units = Math.ceil(n / LIST_ITEMS_PER_UNIT);
  return wantsHtml(req, 'application/json') ? units * HTML_FACTOR : units;
}

interface Waiter {
  cost: number;
  grant: (release: () => void) => void;
}

interface UserShare {
  inFlight: number;
  cost: number;
  queue: Waiter[];
}

export class FairShare {
  readonly o: Readonly<FairShareOptions>;
  private readonly users = new Map<string, UserShare>();

  constructor(o: Partial<FairShareOptions> = {}) {
    this.o = { ...FAIR_SHARE_DEFAULTS, ...o };
    for (const [k, v] of Object.entries(this.o)) {
      const min = k === 'maxQueued' || k === 'maxWaitMs' ? 0 : 1;
      if (!Number.isInteger(v) || v < min) throw new Error(`fair share ${k} must be a whole number from ${min} (got ${v})`);
    }
  }

  /**
   * Resolves with a release function once `user` may run work of `cost` (call it when the work
   * is done; later calls do nothing); rejects with OverShareError when the user's queue is full,
   * the wait is over, or `signal` says the client has gone.
   */
  acquire(user: string, cost: number, signal?: AbortSignal): Promise<() => void> {
    const u = this.users.get(user) ?? { inFlight: 0, cost: 0, queue: [] };
    this.users.set(user, u);
    // A request dearer than the whole share runs alone rather than never.
    const c = Math.min(Math.max(1, cost), this.o.maxCost);
    if (u.queue.length === 0 && this.fits(u, c)) return Promise.resolve(this.start(user, u, c));
    if (u.queue.length >= this.o.maxQueued) {
      this.forgetIfIdle(user, u);
      return Promise.reject(new OverShareError(user, 'queue-full'));
    }
    return new Promise((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = u.queue.indexOf(w);
        if (i >= 0) u.queue.splice(i, 1);
      };
      const refuse = (reason: OverShareError['reason']) => {
        leave();
        this.forgetIfIdle(user, u);
        reject(new OverShareError(user, reason));
      };
      const w: Waiter = {
        cost: c,
        grant: (release) => {
          leave();
          resolve(release);
        },
      };
      const onAbort = () => refuse('client-gone');
      const timer = setTimeout(() => refuse('waited-too-long'), this.o.maxWaitMs);
      timer.unref();
      signal?.addEventListener('abort', onAbort, { once: true });
      u.queue.push(w);
    });
  }

  /** What a user has running and waiting (for tests and the log). */
  usage(user: string): { inFlight: number; cost: number; queued: number } {
    const u = this.users.get(user);
    return { inFlight: u?.inFlight ?? 0, cost: u?.cost ?? 0, queued: u?.queue.length ?? 0 };
  }

  private fits(u: UserShare, cost: number): boolean {
    return u.inFlight === 0 || (u.inFlight < this.o.maxInFlight && u.cost + cost <= this.o.maxCost);
  }

  private start(user: string, u: UserShare, cost: number): () => void {
    u.inFlight++;
    u.cost += cost;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      u.inFlight--;
      u.cost -= cost;
      // First in, first out: the head waits for room even when a cheaper one behind it would fit,
      // so a dear request is never overtaken for ever.
      while (u.queue.length > 0 && this.fits(u, u.queue[0]!.cost)) {
        const head = u.queue[0]!;
        head.grant(this.start(user, u, head.cost));
      }
      this.forgetIfIdle(user, u);
    };
  }

  private forgetIfIdle(user: string, u: UserShare): void {
    if (u.inFlight === 0 && u.queue.length === 0) this.users.delete(user);
  }
}

/**
 * Holds each request until its user's share has room (after authentication: res.locals.user),
 * and gives the room back once the response is done or its client has gone.
 */
export function fairShare(share: FairShare, costOf: (req: Request) => number = requestCost) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const user = res.locals.user as string;
    const gone = new AbortController();
    const onClose = () => gone.abort();
    res.once('close', onClose);
    let release: () => void;
    try {
      release = await share.acquire(user, costOf(req), gone.signal);
    } catch (err) {
      if (err instanceof OverShareError) res.set('Retry-After', String(err.retryAfterS));
      throw err;
    } finally {
      res.off('close', onClose);
    }
    if (res.writableEnded || res.destroyed) return release();
    // 'close' comes when the response is complete, or when its connection ended before that.
    res.once('close', release);
    // A request that waits without working (a long poll, long-poll.ts) gives its room back early.
    res.locals.releaseShare = release;
    next();
  };
}
