// Cached archive pages answered before Express runs, as a static file server answers: a hit is a
// lookup and one write. Express's routing and middleware cost several times what the hit itself
// does (measured on the bench machine: a bare Node handler sends a 3 KB buffer at 3 to 5 times the
// rate of a one-route Express app), and in a tree many children read the same archives.
//
// A request is taken here only when every check the Express path would make comes out the same
// by the same functions: the host rule (host-rule.ts hostCheck), credentials that authentication
// verified before (auth.ts verifiedBefore: the exact Authorization header), the user's right to
// the feed (rights.ts), a feed page URL in its plain form, an Atom reader (no HTML asked for), and
// a page the cache holds. Anything else (a miss, a wrong or new password, a session cookie alone,
// a refused Host, HTML, HEAD, a query string) goes to Express, which answers as it always has.
// Fair share is not asked: a hit is answered within this call, so it neither waits nor holds room.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ALL_CATEGORY, FEED_PATH } from '../shared/protocol.ts';
import { isResourceName } from '../shared/resources.ts';
import type { Auth } from './auth.ts';
import type { FeedRoutes } from './feed-routes.ts';
import type { PublisherCounters } from './metrics.ts';
import { mayReadFeed } from './rights.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

export interface FastPathDeps {
  /** The request's origin by the host rule; throws for a Host it refuses. */
  origin: (req: IncomingMessage) => string;
  auth: Pick<Auth, 'verifiedBefore'>;
  feeds: Pick<FeedRoutes, 'serveCached'>;
  /** --public-url, which links are written with instead of the Host (feed-routes.ts baseUrlOf). */
  publicUrl?: string;
  counters: PublisherCounters;
}

const FEED_PAGE = new RegExp(`^${FEED_PATH.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/([a-z_]{1,64})/([1-9][0-9]{0,14})$`);
/** An Accept that could rank text/html first (negotiate.ts wantsHtml); any other is an Atom reader. */
const MAY_WANT_HTML = /html|\*/i;

/** A request listener's front: true when it answered the request, false to hand it on untouched. */
export function archiveFastPath(d: FastPathDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const publicBase = d.publicUrl?.replace(/\/+$/, '');
  return (req, res) => {
    if (req.method !== 'GET') return false;
    const m = FEED_PAGE.exec(req.url ?? '');
    if (!m) return false;
    const category = m[1]!;
    const accept = req.headers.accept;
    if ((accept !== undefined && MAY_WANT_HTML.test(accept)) || (category !== ALL_CATEGORY && !isResourceName(category))) return false;
    const who = d.auth.verifiedBefore(req.headers.authorization);
    if (!who || !mayReadFeed(who.rights, category)) return false;
    let origin: string;
    try {
      origin = d.origin(req);
    } catch {
      return false; // Express answers the refusal
    }
    // The headers Express's first middleware would set; Cache-Control is the archive's own (sendArchivePage).
    for (const name in SECURITY_HEADERS) res.setHeader(name, SECURITY_HEADERS[name]!);
    const hit = { user: who.user, category, page: Number(m[2]), baseUrl: publicBase ?? origin, asHtml: false };
    if (!d.feeds.serveCached(req, res, hit)) {
      for (const name in SECURITY_HEADERS) res.removeHeader(name);
      return false;
    }
    d.counters.request(res.statusCode);
    return true;
  };
}
