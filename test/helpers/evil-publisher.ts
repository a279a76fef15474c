// A malicious (or just broken) publisher for tests: a small node:http server on
// 127.0.0.1 that asks for HTTP Basic credentials as ours does, then answers each
// path with exactly what the test configured: feed pages as strings (valid ones
// from renderFeedPage, corrupted by the test), resources as JSON or raw bodies,
// with the status and headers chosen. It also records every request, and a
// `Trap` is a listener on another address that must never be called.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGzip } from 'node:zlib';
import { renderFeedPage } from '../../publisher/atom/render.ts';
import { FEED_PATH, REST_PATH, restPath } from '../../shared/protocol.ts';
import type { Action } from '../../shared/protocol.ts';
import type { FeedEvent } from '../../shared/feed-types.ts';
import { basic } from './http.ts';

/** What one path answers. A function body writes the response itself (streaming, stalling...). */
export interface EvilResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer | ((req: IncomingMessage, res: ServerResponse) => void | Promise<void>);
}

export interface SeenRequest {
  method: string;
  path: string;
  authorized: boolean;
}

export const EVIL_USER = { username: 'hq', password: 'evil-secret' };
const ATOM = 'application/atom+xml; charset=utf-8';
const JSON_TYPE = 'application/json';

export class EvilPublisher {
  readonly requests: SeenRequest[] = [];
  /** Feed pages and any other exact path, by pathname. */
  readonly pages = new Map<string, EvilResponse>();
  /** Resources by "resource/uuid". */
  readonly resources = new Map<string, EvilResponse>();
  /** Answer `GET {REST_PATH}/{resource}?uuids=...` (off: 404, as a plain atomfeed server does). */
  listRequests = true;
  url = '';
  private server: Server | null = null;

  /** The subscription URL of a feed, with credentials, for `--feed`. */
  feedUrl(category: string, who = `${EVIL_USER.username}:${EVIL_USER.password}`): string {
    return `${this.url.replace('http://', `http://${who}@`)}${FEED_PATH}/${category}/recent`;
  }

  /** The marker key a subscriber keeps for a feed: its recent URL without credentials. */
  feedKey(category: string): string {
    return `${this.url}${FEED_PATH}/${category}/recent`;
  }

  /** Serves a feed page: `page` is 'recent' or a number. A string body is Atom unless headers say otherwise. */
  page(category: string, page: number | 'recent', r: EvilResponse | string): void {
    const res = typeof r === 'string' ? { body: r } : r;
    this.pages.set(`${FEED_PATH}/${category}/${page}`, { ...res, headers: { 'content-type': ATOM, ...res.headers } });
  }

  /** Serves a resource: an object is sent as JSON, a string or Buffer as it is. */
  resource(resource: string, uuid: string, r: EvilResponse | Record<string, unknown> | string): void {
    const res: EvilResponse =
      typeof r === 'string' ? { body: r } : isResponse(r) ? r : { body: JSON.stringify(r) };
    this.resources.set(`${resource}/${uuid.toLowerCase()}`, { ...res, headers: { 'content-type': JSON_TYPE, ...res.headers } });
  }

  /** Requests for paths under this prefix (to check nothing was fetched for a feed). */
  requestsFor(prefix: string): SeenRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix));
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    this.url = await listen(this.server, '127.0.0.1');
    return this.url;
  }

  async stop(): Promise<void> {
    await close(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x');
    const authorized = req.headers.authorization === basic(EVIL_USER.username, EVIL_USER.password);
    this.requests.push({ method: req.method ?? '', path: u.pathname + u.search, authorized });
    if (!authorized) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="atomsync"', 'content-type': JSON_TYPE });
      return void res.end('{"error":{"code":"unauthorized","message":"authentication required"}}');
    }
    let r = this.pages.get(u.pathname);
    const rest = new RegExp(`^${REST_PATH}/([a-z]+)(?:/([^/]+))?$`).exec(u.pathname);
    if (!r && rest && rest[2]) r = this.resources.get(`${rest[1]}/${decodeURIComponent(rest[2]).toLowerCase()}`);
    if (!r && rest && !rest[2] && this.listRequests) r = this.list(rest[1], u.searchParams.get('uuids') ?? '');
    if (!r) {
      res.writeHead(404, { 'content-type': JSON_TYPE });
      return void res.end(`{"error":{"code":"not_found","message":"nothing here"}}`);
    }
    res.statusCode = r.status ?? 200;
    for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
    if (typeof r.body === 'function') return void (await r.body(req, res));
    res.end(r.body ?? '');
  }

  /** A list answer: the configured resources that are JSON objects with status 200, as they are. */
  private list(resource: string, uuids: string): EvilResponse {
    const results: unknown[] = [];
    for (const uuid of uuids.split(',')) {
      const r = this.resources.get(`${resource}/${uuid.toLowerCase()}`);
      if (!r || (r.status ?? 200) !== 200 || typeof r.body !== 'string') continue;
      try {
        const v = JSON.parse(r.body);
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) results.push(v);
      } catch {
        // Not JSON: left out, so the subscriber asks for it alone.
      }
    }
    return { headers: { 'content-type': JSON_TYPE }, body: JSON.stringify({ results }) };
  }
}

/** A listener that must never be called: links and redirects to it are how a feed tries to send us elsewhere. */
export class Trap {
  readonly requests: string[] = [];
  url = '';
  private server: Server | null = null;

  /** 127.0.0.2 is loopback too, but another origin (and another host) than the evil publisher. */
  async start(host = '127.0.0.2'): Promise<string> {
    this.server = createServer((req, res) => {
      this.requests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': JSON_TYPE }).end('{}');
    });
    this.url = await listen(this.server, host);
    return this.url;
  }

  async stop(): Promise<void> {
    await close(this.server);
  }
}

// ---- bodies ---------------------------------------------------------------------------

/**
 * A body of `totalBytes` generated chunk by chunk as the client reads (never held in
 * memory), ending when the client hangs up. `largest()` is the most any one response sent.
 */
export function streamedBody(totalBytes: number, chunk = Buffer.alloc(64 * 1024, ' ')) {
  let largest = 0;
  const body = async (_req: IncomingMessage, res: ServerResponse) => {
    let sent = 0;
    let closed = false;
    res.once('close', () => {
      closed = true;
      res.emit('drain'); // wakes the loop below
    });
    res.write('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>');
    while (sent < totalBytes && !closed) {
      sent += chunk.length;
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    }
    largest = Math.max(largest, sent);
    res.end('</title></feed>');
  };
  return { body, largest: () => largest };
}

/** A gzip body that inflates to `inflatedBytes` of spaces (a "zip bomb"), compressed chunk by chunk. */
export async function gzipBomb(inflatedBytes: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (d: Buffer) => out.push(d));
  const done = new Promise((resolve) => gz.on('end', resolve));
  const chunk = Buffer.alloc(1024 * 1024, ' ');
  for (let n = 0; n < inflatedBytes; n += chunk.length) {
    if (!gz.write(chunk)) await new Promise((r) => gz.once('drain', r));
  }
  gz.end();
  await done;
  return Buffer.concat(out);
}

/** Sends headers and then one byte every `everyMs`, forever (until the client hangs up). */
export function tricklingBody(everyMs: number) {
  return async (_req: IncomingMessage, res: ServerResponse) => {
    res.flushHeaders();
    res.write('<');
    const timer = setInterval(() => res.write(' '), everyMs);
    await new Promise((resolve) => res.once('close', resolve));
    clearInterval(timer);
  };
}

// ---- documents ------------------------------------------------------------------------

export interface EvilEntry {
  resource?: string;
  uuid: string;
  action?: Action;
  origin?: string;
  /** The entry's id is tag:atomfeed.ict4h.org:{eventUuid}; derived from the rest by default. */
  eventUuid?: string;
  /** Replaces the REST path in the entry's content. */
  content?: string;
}

/**
 * A valid Atom page (as atomsync renders it) holding these entries at positions from
 * `(page-1)*pageSize+1`. The working page unless `newestPage` says it is complete.
 */
export function feedPage(
  baseUrl: string,
  category: string,
  entries: EvilEntry[],
  o: { page?: number; newestPage?: number; pageSize?: number; asRecent?: boolean } = {},
): string {
  const page = o.page ?? 1;
  const newestPage = o.newestPage ?? page;
  const pageSize = o.pageSize ?? Math.max(entries.length, 1);
  const first = (page - 1) * pageSize + 1;
  const at = '2026-01-01T00:00:00.000Z';
  const events: FeedEvent[] = entries.map((e, i) => ({
    seq: first + i,
    position: first + i,
    eventUuid: e.eventUuid ?? uuidFrom(`${category}/${first + i}/${e.uuid}`),
    resource: e.resource ?? 'location',
    uuid: e.uuid,
    action: e.action ?? 'CREATED',
    origin: e.origin ?? 'evil',
    changedAt: at,
    publishedAt: at,
  }));
  let xml = renderFeedPage({
    nodeId: 'evil',
    feedId: `urn:uuid:${uuidFrom(category)}`,
    category,
    page,
    pageSize,
    newestPage,
    asRecent: o.asRecent ?? page === newestPage,
    baseUrl,
    updated: at,
    events,
  });
  for (const e of entries) {
    if (e.content === undefined) continue;
    const cdata = `<![CDATA[${restPath(e.resource ?? 'location', e.uuid)}]]>`;
    xml = xml.replace(cdata, `<![CDATA[${e.content}]]>`);
  }
  return xml;
}

/** An OpenMRS location representation, as a publisher serves it, with fields overridden. */
export function locationRep(uuid: string, name: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid,
    display: name,
    name,
    description: null,
    address1: null,
    cityVillage: null,
    stateProvince: null,
    postalCode: null,
    country: null,
    countyDistrict: null,
    latitude: null,
    longitude: null,
    parentLocation: null,
    retired: false,
    auditInfo: {
      creator: { uuid: 'a1c0ffee-0000-4000-8000-000000000001', display: 'admin', links: [] },
      dateCreated: '2026-01-01T00:00:00.000+0000',
      changedBy: null,
      dateChanged: null,
      retiredBy: null,
      dateRetired: null,
      retireReason: null,
    },
    links: [],
    resourceVersion: '1.8',
    ...over,
  };
}

/** A reference as OpenMRS writes one. */
export const ref = (uuid: string, display = '') => ({ uuid, display, links: [] });

/** A stable uuid-shaped name for a string (tests want the same ids every run). */
export function uuidFrom(s: string): string {
  const h = createHash('sha1').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function isResponse(r: object): r is EvilResponse {
  const keys = Object.keys(r);
  return keys.length > 0 && keys.every((k) => k === 'status' || k === 'headers' || k === 'body');
}

async function listen(server: Server, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server | null): Promise<void> {
  if (!server) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
