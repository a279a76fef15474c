// The subscriber's own small web server: a status page (HTML, or JSON for
// Accept: application/json), /metrics for Prometheus, and Retry buttons for dead
// letters. Every route needs HTTP Basic credentials. The POSTs change state, so a
// page on another site must not be able to make a logged-in browser send them:
// they need a form token, and an Origin (or Sec-Fetch-Site) that says the request
// came from this server's own page.
//
// The form token belongs to one admin in one browser session: the page sets a cookie
// holding a random nonce (HttpOnly, SameSite=Strict, gone when the browser closes), and
// the token is an HMAC, under a secret of this process, of the admin's name and that
// nonce. So one admin's token is refused for another admin, a token is useless without
// its browser's cookie, and a page served by an earlier run cannot post to this one.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { basicAuth } from '../shared/web/basic-auth.ts';
import type { Logger } from '../shared/logger.ts';
import type { StatusReport } from './status.ts';
import { METRICS_CONTENT_TYPE } from '../shared/web/prometheus.ts';
import { renderMetrics } from './status-metrics.ts';
import { renderStatusPage } from './status-pages.ts';
import { STATUS_HISTORY_DEFAULTS, StatusHistory, StatusSampler } from './status-history.ts';
import type { StatusJson } from './status-history.ts';
import type { Pool } from '../shared/db.ts';
import { buildTree } from '../shared/web/tree-model.ts';
import type { TreeModel } from '../shared/web/tree-model.ts';
import { readMarkerRows, readReaderRows } from '../shared/web/tree-rows.ts';
import { duplicateRoutes } from './duplicates/review-routes.ts';
import { conflictRoutes } from './conflicts-routes.ts';
import { countConflicts, listConflicts } from './conflicts-store.ts';
import { OPEN_SHOWN } from './conflicts-pages.ts';
import type { ConflictsOverview } from './conflicts-pages.ts';

/** What the server needs of the subscriber. */
export interface StatusBackend {
  status(): Promise<StatusReport>;
  /** Does what `atomsync failed retry` does; returns the ids put back in line. */
  retryDead(ids: number[] | 'all'): Promise<number[]>;
  /** The node's database: the tree picture (its markers and readers) and its conflicts. Without it, neither is shown. */
  db?: Pool;
  nodeId?: string;
  /**
   * The users.user_id recorded as the changer when a conflict is settled from the page; without it
   * (a sink other than atomsync's own MySQL one) the page has no Conflicts section.
   */
  conflictsUserId?: number;
  /** Merges a duplicate pair (subscriber/duplicates/merge.ts); absent: the review page offers no merge. */
  mergeDuplicates?: (pairId: number, keep: string, drop: string) => Promise<void>;
}

export interface StatusServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Address to listen on; default 127.0.0.1 (this machine only). */
  host?: string;
  /** username -> password of the admins allowed in. */
  users: Map<string, string>;
  /** Time between two samples of the charts' history, in ms; default 15 s (STATUS_HISTORY_DEFAULTS). */
  sampleMs?: number;
}

export const STATUS_SERVER_DEFAULTS = { host: '127.0.0.1', realm: 'atomsync subscriber' } as const;

/** Compares digests, so the time taken says nothing about how much of the token matched. */
function sameToken(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The cookie that holds a browser session's nonce for the form token. */
export const FORM_COOKIE = 'atomsync_form';
const NONCE_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** The nonce of this browser session, if its cookie holds a well-formed one. */
function formNonceIn(cookieHeader: string | undefined): string | null {
  for (const pair of (cookieHeader ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === FORM_COOKIE && NONCE_PATTERN.test(pair.slice(eq + 1).trim())) return pair.slice(eq + 1).trim();
  }
  return null;
}

/** The form token of `user` in the browser session `nonce`. */
export function formToken(secret: Buffer, user: string, nonce: string): string {
  // Lengths first, so no two (user, nonce) pairs are ever the same string.
  return createHmac('sha256', secret).update(`${user.length}:${user}:${nonce}`).digest('base64url');
}

export type StatusAppOptions = { users: Map<string, string>; csrfSecret: Buffer; backend: StatusBackend; log: Logger; history?: StatusHistory };

export function createStatusApp(o: StatusAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(securityHeaders);
  app.use(basicAuth({ users: o.users, realm: STATUS_SERVER_DEFAULTS.realm }, o.log));
  app.get('/', (req: Request, res: Response) => statusPage(o, req, res));
  app.get('/metrics', async (_req: Request, res: Response) => {
    res.type(METRICS_CONTENT_TYPE).send(renderMetrics(await o.backend.status()));
  });
  retryRoutes(app, o);
  if (o.backend.db && o.backend.conflictsUserId !== undefined) {
    conflictRoutes(app, { db: o.backend.db, userId: o.backend.conflictsUserId, nodeId: o.backend.nodeId ?? '', log: o.log, guard: sameOriginWithToken(o.csrfSecret, o.log), token: (req, res) => pageToken(o.csrfSecret, req, res) });
    // Duplicate patients are recorded by atomsync's own MySQL sink's node, as conflicts are.
    duplicateRoutes(app, { db: o.backend.db, nodeId: o.backend.nodeId ?? '', log: o.log, guard: sameOriginWithToken(o.csrfSecret, o.log), token: (req, res) => pageToken(o.csrfSecret, req, res), merge: o.backend.mergeDuplicates });
  }
  app.use((_req: Request, res: Response) => {
    res.status(404).type('text').send('not found\n');
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).type('text').send('bad request\n');
      return;
    }
    o.log.error('status page request failed', { path: req.path, error: err as Error });
    res.status(500).type('text').send('internal error; see the subscriber log\n');
  });
  return app;
}

/** Nothing behind the login is stored by anyone; the page runs no script and is framed by nobody. */
function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.locals.styleNonce = randomBytes(16).toString('base64');
  res.set({
    'Cache-Control': 'no-store',
    'Content-Security-Policy': `default-src 'none'; style-src 'nonce-${res.locals.styleNonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    // Not no-referrer: with it Chromium sends `Origin: null` on the page's own form posts, which the POSTs refuse.
    'Referrer-Policy': 'same-origin',
  });
  next();
}

/** The status page as HTML (with this browser session's form token), or the report as JSON. */
async function statusPage(o: StatusAppOptions, req: Request, res: Response): Promise<void> {
  const report = await o.backend.status();
  const history = o.history?.view();
  const [conflicts, tree] = await Promise.all([conflictsOverview(o.backend), nodeTree(o.backend, report)]);
  if (req.accepts(['html', 'json']) === 'json') {
    const extra = { ...(conflicts ? { conflicts: conflicts.counts } : {}), ...(tree ? { tree } : {}) };
    res.json(history ? ({ ...report, history, ...extra } satisfies StatusJson) : { ...report, ...extra });
    return;
  }
  const retried = typeof req.query.retried === 'string' && /^[0-9]{1,7}$/.test(req.query.retried) ? Number(req.query.retried) : undefined;
  const csrfToken = pageToken(o.csrfSecret, req, res);
  res.type('html').send(renderStatusPage(report, { csrfToken, styleNonce: res.locals.styleNonce as string, retried, history, conflicts, tree }));
}

/** The form token of this admin in this browser session, setting the session's cookie when it has none. */
function pageToken(secret: Buffer, req: Request, res: Response): string {
  let nonce = formNonceIn(req.get('cookie'));
  if (!nonce) {
    nonce = randomBytes(16).toString('base64url');
    res.append('Set-Cookie', `${FORM_COOKIE}=${nonce}; Path=/; HttpOnly; SameSite=Strict`);
  }
  return formToken(secret, res.locals.user as string, nonce);
}

async function conflictsOverview(b: StatusBackend): Promise<ConflictsOverview | undefined> {
  if (!b.db || b.conflictsUserId === undefined) return undefined;
  const [counts, newest] = await Promise.all([countConflicts(b.db), listConflicts(b.db, { order: 'open-first', limit: OPEN_SHOWN })]);
  return { counts, open: newest.filter((c) => !c.resolvedAt) };
}

/** This node's parents and children, from its database; the lag of the feeds this process reads from its readers. */
async function nodeTree(b: StatusBackend, report: StatusReport): Promise<TreeModel | undefined> {
  if (!b.db) return undefined;
  const [markers, readers] = await Promise.all([readMarkerRows(b.db), readReaderRows(b.db)]);
  const behind = new Map(report.feeds.filter((f) => f.readSinceStart).map((f) => [f.feed, f.lag.events]));
  return buildTree({
    nodeId: report.nodeId,
    markers: markers.map((m) => ({ ...m, eventsBehind: behind.get(m.feedUrl) })),
    readers,
    now: Date.parse(report.generatedAt),
  });
}

/** The page's Retry buttons: dead letters back in line, behind the same-origin and form-token checks. */
function retryRoutes(app: express.Express, o: StatusAppOptions): void {
  const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 });
  const guard = sameOriginWithToken(o.csrfSecret, o.log);
  app.post('/dead-letters/retry-all', form, guard, async (_req: Request, res: Response) => {
    const revived = await o.backend.retryDead('all');
    o.log.info('dead letters retried from the status page', { count: revived.length, user: res.locals.user });
    res.redirect(303, `/?retried=${revived.length}`);
  });
  app.post('/dead-letters/:id/retry', form, guard, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    if (!/^[0-9]{1,18}$/.test(id)) {
      res.status(400).type('text').send('the id must be a dead letter number\n');
      return;
    }
    const revived = await o.backend.retryDead([Number(id)]);
    o.log.info('dead letter retried from the status page', { id: Number(id), revived: revived.length, user: res.locals.user });
    res.redirect(303, `/?retried=${revived.length}`);
  });
}

/**
 * Refuses a state-changing request that another site could have made a logged-in browser
 * send: a foreign Origin, a cross-site Sec-Fetch-Site, or no (or a wrong) form token for
 * this admin and this browser session. Basic credentials are sent by the browser
 * automatically, so they prove nothing here.
 */
export function sameOriginWithToken(secret: Buffer, log: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    const own = req.get('host') ? `${req.protocol}://${req.get('host')}` : null;
    const site = req.get('sec-fetch-site');
    const sent = typeof req.body?.csrf === 'string' ? (req.body.csrf as string) : '';
    const nonce = formNonceIn(req.get('cookie'));
    let refusal: string | null = null;
    if (origin !== undefined && origin !== own) refusal = 'the request comes from another origin';
    else if (site !== undefined && site !== 'same-origin' && site !== 'none') refusal = 'the request comes from another site';
    else if (!nonce) refusal = `the form token's cookie (${FORM_COOKIE}) is missing; reload the status page and try again`;
    else if (!sameToken(sent, formToken(secret, res.locals.user as string, nonce))) {
      refusal = 'the form token is missing or wrong (or another admin\'s); reload the status page and try again';
    }
    if (refusal === null) {
      next();
      return;
    }
    log.warn('refused a status page POST', { path: req.path, reason: refusal, origin: origin?.slice(0, 200) });
    res.status(403).type('text').send(`forbidden: ${refusal}\n`);
  };
}

export class StatusServer {
  /** A fresh secret per process: a page served by an earlier run cannot post to this one. */
  private readonly csrfSecret = randomBytes(32);
  private server: Server | null = null;
  /** The last hour of lag and throughput for the page's charts, sampled while the server runs. */
  readonly history: StatusHistory;
  private readonly sampler: StatusSampler;
  /** Base URL once listening, e.g. http://127.0.0.1:8090/. */
  url = '';

  constructor(
    private readonly o: StatusServerOptions,
    private readonly backend: StatusBackend,
    private readonly log: Logger,
  ) {
    this.history = new StatusHistory({ ...STATUS_HISTORY_DEFAULTS, ...(o.sampleMs ? { sampleMs: o.sampleMs } : {}) });
    this.sampler = new StatusSampler(this.history, () => backend.status(), log);
  }

  async start(): Promise<string> {
    const app = createStatusApp({ users: this.o.users, csrfSecret: this.csrfSecret, backend: this.backend, log: this.log, history: this.history });
    const host = this.o.host ?? STATUS_SERVER_DEFAULTS.host;
    const server = app.listen(this.o.port, host);
    this.server = server;
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.once('listening', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
    this.log.info('status page listening', { url: this.url });
    this.sampler.start();
    return this.url;
  }

  async stop(): Promise<void> {
    this.sampler.stop();
    const server = this.server;
    this.server = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
