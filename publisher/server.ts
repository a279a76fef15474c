// The publisher's HTTP application: authentication in front of feeds, resources and admin pages.
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import compression from 'compression';
import { NO_STORE_CACHE_CONTROL } from '../shared/protocol.ts';
import type { Pool } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';
import type { Registry } from '../shared/registry.ts';
import { adminRoutes } from './admin-routes.ts';
import { renderErrorHtml } from './admin-pages.ts';
import { createAuth, requireAuth } from './auth.ts';
import type { AuthOptions } from './auth.ts';
import type { EventStore } from './event-store.ts';
import type { FeedLayouts } from './feed-layouts.ts';
import { baseUrlOf, feedRoutes } from './feed-routes.ts';
import { FairShare, fairShare } from './fair-share.ts';
import { hostCheck, hostRule } from './host-rule.ts';
import { archiveFastPath } from './archive-fast-path.ts';
import { isPrecompressed } from './archive-page.ts';
import { HttpError } from './http-errors.ts';
import { PublisherCounters } from './metrics.ts';
import { PageCache } from './page-cache.ts';
import type { NewEvents } from './new-events.ts';
import { HTML_MEDIA_TYPE, wantsHtml } from '../shared/web/negotiate.ts';
import { restRoutes } from './rest-routes.ts';
import { CatchmentFeeds } from './catchments/catchment-feed.ts';
import { DECLARED_REGISTRY } from '../shared/registry.ts';
import { securityHeaders } from './security-headers.ts';
import { sessionRoutes } from './session-routes.ts';
import { SessionStore } from './session-store.ts';
import type { SessionOptions } from './session-store.ts';
import type { SubscriberPositions } from './subscriber-positions.ts';

export interface PublisherAppOptions {
  pool: Pool;
  store: EventStore;
  log: Logger;
  nodeId: string;
  nodeUuid: string;
  emptyUpdated: string;
  pageSize: number;
  /** Each feed's page layout as recorded in the database (feed-layouts.ts); uniform pages of pageSize when absent. */
  layouts?: FeedLayouts;
  auth: AuthOptions;
  /** Login sessions of the OpenMRS session endpoint (idle timeout, lifetime, bounds, clock); SESSION_DEFAULTS otherwise. */
  sessions?: SessionOptions;
  /** The resources as this database holds them (shared/registry.ts); the declared registry by default. */
  registry?: Registry;
  publicUrl?: string;
  /** Host names answered to besides the address reached and localhost (host-rule.ts). */
  allowedHosts?: readonly string[];
  /** Each reader's share of the server (fair-share.ts); one with FAIR_SHARE_DEFAULTS otherwise. */
  fairShare?: FairShare;
  /** Subscribers' reading positions; without it none are recorded. */
  positions?: SubscriberPositions;
  counters?: PublisherCounters;
  /** Where long-polled `recent` requests wait (new-events.ts); without it, none is held. */
  newEvents?: NewEvents;
  now?: () => number;
}

const SIGN_IN_MESSAGE =
  "This node's feeds are for its subscribers. Reload the page and sign in with the user name and password you were given.";

export function createPublisherApp(o: PublisherAppOptions): express.Express {
  const app = express();
  const counters = o.counters ?? new PublisherCounters();
  app.disable('x-powered-by');
  app.set('etag', false); // feed routes compute their own strong ETags
  app.set('query parser', 'simple');
  // First, so refused logins are counted too.
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () => counters.request(res.statusCode));
    next();
  });
  app.use(securityHeaders());
  const hosts = { publicUrl: o.publicUrl, allowedHosts: o.allowedHosts };
  app.use(hostRule(hosts));
  // Archive pages come in their own codings (archive-page.ts), which this leaves alone.
  app.use(compression({ filter: (req, res) => !isPrecompressed(res) && compression.filter(req, res) }));
  // Before authentication the visitor sees no node id, only that it must sign in.
  const htmlPage = (status: number, message: string) =>
    renderErrorHtml({ baseUrl: '', status, message: status === 401 ? SIGN_IN_MESSAGE : message });
  const sessions = new SessionStore(o.sessions);
  const auth = createAuth({ htmlPage, ...o.auth, sessions }, o.log);
  // The session endpoint decides on credentials itself (an anonymous client gets an answer there);
  // everything after it is authenticated first, with a password or a session's cookie.
  app.use(sessionRoutes({ auth, sessions, nodeUuid: o.nodeUuid, publicUrl: o.publicUrl, log: o.log }));
  app.use(requireAuth(auth));
  app.use(fairShare(o.fairShare ?? new FairShare()));
  const cache = new PageCache();
  const feeds = feedRoutes({ ...o, counters, cache });
  // Before the other feeds: a catchment's category is no resource name.
  app.use(new CatchmentFeeds({ ...o, registry: o.registry ?? DECLARED_REGISTRY }).router());
  app.use(feeds.router);
  app.use(restRoutes(o));
  app.use(adminRoutes({ ...o, counters, cache }));
  app.use((req: Request) => {
    throw new HttpError(404, 'not_found', `nothing at ${req.path.slice(0, 200)}`);
  });
  app.use(errorAnswers(o));
  serveCachedArchivesFirst(app, archiveFastPath({ origin: hostCheck(hosts), auth, feeds, publicUrl: o.publicUrl, counters }));
  return app;
}

/** Every error as an answer: an HttpError as itself, a database out of connections as 503, anything else as 500 (logged). */
function errorAnswers(o: PublisherAppOptions) {
  let busyWarnedAt = 0;
  let busySince = 0;
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const send = (status: number, code: string, message: string) => {
      res.status(status);
      res.set('Cache-Control', NO_STORE_CACHE_CONTROL); // whatever the route had chosen for its answer
      // A person who followed a link gets a page with a way back; everyone else the JSON error.
      let baseUrl: string | undefined;
      try {
        baseUrl = wantsHtml(req, 'application/json') ? baseUrlOf(req, o.publicUrl) : undefined;
      } catch {
        baseUrl = undefined;
      }
      if (baseUrl !== undefined) res.type(HTML_MEDIA_TYPE).send(renderErrorHtml({ nodeId: o.nodeId, baseUrl, status, message }));
      else res.type('application/json').json({ error: { code, message } });
    };
    if (err instanceof HttpError) return send(err.status, err.code, err.message);
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Express's own client errors (a malformed URI, say): say so without internals.
      return send(status, 'bad_request', 'malformed request');
    }
    if (isDatabaseBusy(err)) {
      // MariaDB refused a connection (max_connections reached): a passing overload, not a fault
      // of the request. 503 with Retry-After, so a subscriber waits and asks again.
      // Once every BUSY_LOG_EVERY_MS, with how many were refused since: an overload is many requests at once.
      busySince++;
      if (Date.now() - busyWarnedAt >= BUSY_LOG_EVERY_MS) {
        o.log.warn('the database refused connections; answering 503', { refused: busySince, path: req.path, error: (err as Error).message });
        busyWarnedAt = Date.now();
        busySince = 0;
      }
      res.set('Retry-After', String(DATABASE_BUSY_RETRY_AFTER_S));
      return send(503, 'database_busy', 'the database has no connection free; try again shortly');
    }
    o.log.error('request failed', { path: req.path, error: err as Error });
    send(500, 'internal', 'internal error; see the publisher log');
  };
}

/** Least time between two warnings of a database out of connections. */
const BUSY_LOG_EVERY_MS = 10_000;
/** Retry-After of a 503 for a database out of connections. */
const DATABASE_BUSY_RETRY_AFTER_S = 2;

/**
 * MariaDB refusing a connection: too many on the server (ER_CON_COUNT_ERROR), for every user
 * (ER_TOO_MANY_USER_CONNECTIONS, max_user_connections) or for this account (ER_USER_LIMIT_REACHED,
 * its MAX_USER_CONNECTIONS).
 */
const BUSY_ERRNOS = new Set([1040, 1203, 1226]);

function isDatabaseBusy(err: unknown): boolean {
  return BUSY_ERRNOS.has((err as { errno?: number } | null)?.errno ?? 0);
}

type Handle = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/**
 * Puts the archive fast path (archive-fast-path.ts) in front of everything Express does. The app
 * function calls app.handle for every request, so wrapping it there covers every way the app is
 * served (createServer(app), app.listen).
 */
function serveCachedArchivesFirst(app: express.Express, fast: (req: IncomingMessage, res: ServerResponse) => boolean): void {
  const a = app as unknown as { handle: Handle };
  const handle = a.handle.bind(app);
  a.handle = (req, res, next) => {
    if (!fast(req, res)) handle(req, res, next);
  };
}
