// Content negotiation between the machine format of a URL (Atom, JSON) and HTML for people.
import type { Request } from 'express';

export const HTML_MEDIA_TYPE = 'text/html; charset=utf-8';
/** Every negotiated response says so, or a cache could hand a browser's HTML to a feed reader. */
export const NEGOTIATED_VARY = 'Accept, Accept-Encoding';

/**
 * True when the client ranks text/html above `machineType`, as browsers do
 * (`text/html,application/xhtml+xml,...,*\/*;q=0.8`). A missing Accept or a bare wildcard
 * goes to the machine type, so existing clients are unaffected.
 */
export function wantsHtml(req: Request, machineType: string): boolean {
  return req.accepts([machineType, 'text/html']) === 'text/html';
}
