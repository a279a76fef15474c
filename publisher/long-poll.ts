// Long polling of `recent` (SPEC.md, "Long polling"): a request that sends LONG_POLL_HEADER and an
// If-None-Match that still matches is held until the feed grows (new-events.ts) or the time asked
// for passes, and is then answered as it would have been at once (200 with the new page, or 304).
import type { Request, Response } from 'express';
import { LONG_POLL_HEADER, LONG_POLL_MAX_S } from '../shared/protocol.ts';
import { HttpError } from './http-errors.ts';
import type { NewEvents } from './new-events.ts';

/** Seconds the request asks to be held, capped at LONG_POLL_MAX_S; 0 without the header or for a value that is not a whole number. */
export function longPollSeconds(value: string | undefined): number {
  if (value === undefined || !/^[0-9]{1,6}$/.test(value.trim())) return 0;
  return Math.min(Number(value.trim()), LONG_POLL_MAX_S);
}

/** Seconds to tell the client after a refusal to hold: none, so it waits its own interval. */
const NOT_HELD = '0';
/** Retry-After of the 503 a held request gets when the server stops. */
const STOPPING_RETRY_AFTER_S = 2;

/**
 * Holds a long-polled request while `unchanged()` (the client's If-None-Match still names the feed's
 * working page). True when the caller should now answer as usual; false when the answer is sent
 * already or there is nobody to answer (the client left). Throws a 503 HttpError when the server stops.
 *
 * The request gives its fair share back while held (fair-share.ts res.locals.releaseShare): a
 * subscriber waiting on several feeds must still be able to fetch resources.
 */
export async function holdWhileUnchanged(
  req: Request,
  res: Response,
  o: { newEvents: NewEvents | undefined; feed: string; unchanged: () => Promise<boolean> },
): Promise<boolean> {
  const waitS = longPollSeconds(req.get(LONG_POLL_HEADER));
  if (waitS === 0) return true;
  if (!o.newEvents?.accepting) {
    res.setHeader(LONG_POLL_HEADER, NOT_HELD);
    return true;
  }
  res.setHeader(LONG_POLL_HEADER, String(waitS));
  const deadline = Date.now() + waitS * 1000;
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.once('close', onClose);
  try {
    let released = false;
    while (await o.unchanged()) {
      if (!released) (res.locals.releaseShare as (() => void) | undefined)?.();
      released = true;
      const end = await o.newEvents.wait(o.feed, deadline - Date.now(), gone.signal);
      if (end === 'gone' || gone.signal.aborted) return false;
      if (end === null || end === 'timeout') return true; // 304, or 200 if it changed after all
      if (end === 'closed') {
        res.set({ 'Retry-After': String(STOPPING_RETRY_AFTER_S), Connection: 'close' });
        throw new HttpError(503, 'stopping', 'the publisher is stopping; poll again later');
      }
    }
    return true;
  } finally {
    res.off('close', onClose);
  }
}
