// Archives served precompressed (archive-page.ts, archive-fast-path.ts) and long polling of
// `recent` (long-poll.ts, new-events.ts), over real HTTP against the real MariaDB, with the
// publisher's own relay moving what the triggers write (trigger -> outbox -> relay -> feed).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { addBrotli, encodeArchive, negotiateCoding, prefersGzip } from '../publisher/archive-page.ts';
import { PageCache } from '../publisher/page-cache.ts';
import { NewEvents } from '../publisher/new-events.ts';
import { Publisher } from '../publisher/publisher.ts';
import { parseFeedPage } from '../subscriber/atom/parse.ts';
import { ARCHIVE_CACHE_CONTROL, FEED_PATH, LONG_POLL_HEADER, LONG_POLL_MAX_S } from '../shared/protocol.ts';
import { queryRows } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic } from './helpers/http.ts';
import { insertLocationSql } from './helpers/relay.ts';

const AUTH = { authorization: basic('hq', 's3cret') };
const PAGE_SIZE = 5;

interface Raw {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  ms: number;
}

async function raw(url: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Raw> {
  const t0 = performance.now();
  const res = await request(url, { method: 'GET', headers, signal });
  const body = Buffer.from(await res.body.arrayBuffer());
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) h[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return { status: res.statusCode, headers: h, body, ms: performance.now() - t0 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('precompressed archives and long polling', () => {
  let db: TestDb;
  let publisher: Publisher;
  let base: string;
  const feed = (category: string, page: string | number) => `${base}${FEED_PATH}/${category}/${page}`;
  /** Inserts locations and waits until the publisher's relay has published them. */
  const addLocations = async (n: number) => {
    const before = (await queryRows<{ n: number }>(db.pool, "SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = 'location'"))[0]!.n;
    for (let i = 0; i < n; i++) await db.pool.query(insertLocationSql, [`loc-${Date.now()}-${i}`]);
    for (let t = 0; t < 200; t++) {
      const [{ c }] = await queryRows<{ c: number }>(db.pool, "SELECT COUNT(*) AS c FROM atomsync_event WHERE resource = 'location'");
      if (Number(c) >= Number(before) + n) return;
      await sleep(25);
    }
    throw new Error('the relay did not publish the locations');
  };

  before(async () => {
    db = await freshDatabase('pubcache');
    await migrate(db.pool, 'field-a');
    publisher = new Publisher(
      {
        dbUrl: db.url,
        port: 0,
        users: new Map([['hq', 's3cret'], ['pat', 'other']]),
        rights: new Map([['pat', { resources: new Set(['patient' as const]), admin: false }]]),
        pageSize: PAGE_SIZE,
        relay: { pollMs: 20 },
        fairShare: { maxInFlight: 2, maxCost: 2 },
      },
      silentLogger,
    );
    base = await publisher.start();
    await addLocations(2 * PAGE_SIZE + 1);
  });
  after(async () => {
    await publisher.stop();
    await db.drop();
  });

  test('a complete page is kept compressed: gzip and brotli are the identity bytes, each coding with its own strong ETag', async () => {
    const url = feed('location', 1);
    const identity = await raw(url, AUTH); // the first asks Express, which renders and caches the page
    assert.equal(identity.status, 200);
    assert.equal(identity.headers['content-encoding'], undefined);
    assert.equal(parseFeedPage(identity.body.toString('utf8')).entries.length, PAGE_SIZE);
    const again = await raw(url, AUTH); // a cache hit, answered before Express
    assert.deepEqual(again.body, identity.body);
    // Rendered for a reader that asked for identity (as a loopback subscriber does), the page had no
    // gzip bytes: they are made for the first client that takes them.
    const gz = await raw(url, { ...AUTH, 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), identity.body);
    // Brotli is made when first asked for; until it is ready, the next best coding.
    const browser = { ...AUTH, 'accept-encoding': 'gzip, deflate, br' };
    const firstBr = await raw(url, browser);
    assert.equal(firstBr.headers['content-encoding'], 'gzip');
    assert.equal(firstBr.headers.etag, gz.headers.etag);
    let br = firstBr;
    for (let i = 0; i < 40 && br.headers['content-encoding'] !== 'br'; i++) {
      await sleep(25);
      br = await raw(url, browser);
    }
    assert.equal(br.headers['content-encoding'], 'br');
    assert.deepEqual(brotliDecompressSync(br.body), identity.body);
    for (const r of [identity, again, gz, br]) {
      assert.equal(r.headers['cache-control'], ARCHIVE_CACHE_CONTROL);
      assert.match(r.headers.vary ?? '', /Accept-Encoding/);
      assert.match(r.headers['content-type'] ?? '', /^application\/atom\+xml/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', 'the security headers, on the fast path too');
      assert.match(r.headers['content-security-policy'] ?? '', /default-src 'none'/);
      assert.match(r.headers.etag ?? '', /^"[^"]+"$/, 'strong');
    }
    assert.equal(again.headers.etag, identity.headers.etag);
    assert.equal(new Set([identity.headers.etag, gz.headers.etag, br.headers.etag]).size, 3, 'one ETag per coding (RFC 9110 8.8.3)');
  });

  test('If-None-Match is answered with 304 for the coding the client holds, and only for it', async () => {
    const url = feed('location', 1);
    const gz = await raw(url, { ...AUTH, 'accept-encoding': 'gzip' });
    const same = await raw(url, { ...AUTH, 'accept-encoding': 'gzip', 'if-none-match': gz.headers.etag! });
    assert.equal(same.status, 304);
    assert.equal(same.headers.etag, gz.headers.etag);
    assert.equal(same.headers['cache-control'], ARCHIVE_CACHE_CONTROL);
    assert.equal(same.body.length, 0);
    const weak = await raw(url, { ...AUTH, 'accept-encoding': 'gzip', 'if-none-match': `"x", W/${gz.headers.etag}` });
    assert.equal(weak.status, 304, 'If-None-Match compares weakly');
    const other = await raw(url, { ...AUTH, 'if-none-match': gz.headers.etag! });
    assert.equal(other.status, 200, 'the identity coding is another representation');
    assert.equal(other.headers['content-encoding'], undefined);
    for (const acceptEncoding of ['gzip;q=0, br;q=0', 'deflate']) {
      const plain = await raw(url, { ...AUTH, 'accept-encoding': acceptEncoding });
      assert.equal(plain.headers['content-encoding'], undefined, `${acceptEncoding}: the identity bytes, never encoded on the fly`);
      assert.equal(plain.headers.etag, other.headers.etag);
    }
    // The same on a page's first request, which Express answers (its compression middleware would deflate).
    const first = await raw(feed('all', 1), { ...AUTH, 'accept-encoding': 'deflate' });
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-encoding'], undefined);
  });

  test('a cached archive still needs the right credentials, the right to its feed and an admitted Host', async () => {
    const url = feed('location', 2);
    assert.equal((await raw(url, AUTH)).status, 200); // cached now
    const none = await raw(url, { 'accept-encoding': 'gzip' });
    assert.equal(none.status, 401);
    assert.match(none.headers['www-authenticate'] ?? '', /^Basic realm="atomsync"/);
    assert.equal((await raw(url, { authorization: basic('hq', 'wrong') })).status, 401);
    assert.equal((await raw(url, { authorization: basic('pat', 'other') })).status, 403, 'a user without the location feed');
    assert.equal((await raw(url, { ...AUTH, host: 'evil.example' })).status, 400);
    const html = await raw(url, { ...AUTH, accept: 'text/html' });
    assert.match(html.headers['content-type'] ?? '', /^text\/html/);
  });

  test('a page is gzipped as it enters the cache only for a reader that takes gzip over identity', () => {
    assert.equal(prefersGzip('gzip'), true);
    assert.equal(prefersGzip('gzip, deflate, br'), true);
    assert.equal(prefersGzip('identity'), false, 'what a subscriber asks a loopback publisher for');
    assert.equal(prefersGzip(undefined), false);
    assert.equal(prefersGzip('identity, gzip;q=0.5'), false);
    assert.equal(prefersGzip('br'), false);
  });

  test('Accept-Encoding is negotiated by weight, br before gzip among equals', () => {
    assert.equal(negotiateCoding('gzip'), 'gzip');
    assert.equal(negotiateCoding('gzip, deflate, br'), 'br');
    assert.equal(negotiateCoding('br;q=0.5, gzip'), 'gzip');
    assert.equal(negotiateCoding('x-gzip'), 'gzip');
    assert.equal(negotiateCoding('*'), 'br');
    assert.equal(negotiateCoding('deflate'), 'identity');
    assert.equal(negotiateCoding('identity;q=0, *;q=0'), 'identity', 'nothing acceptable: identity rather than refusing');
  });

  test('without the long-poll header a matching If-None-Match is answered at once', async () => {
    const first = await raw(feed('location', 'recent'), AUTH);
    const again = await raw(feed('location', 'recent'), { ...AUTH, 'if-none-match': first.headers.etag! });
    assert.equal(again.status, 304);
    assert.ok(again.ms < 500, `${Math.round(again.ms)} ms`);
    assert.equal(again.headers[LONG_POLL_HEADER], undefined);
  });

  test('a held request is answered within a second of a commit, with the new entry', async () => {
    const first = await raw(feed('location', 'recent'), AUTH);
    const held = raw(feed('location', 'recent'), { ...AUTH, 'if-none-match': first.headers.etag!, [LONG_POLL_HEADER]: '10' });
    await sleep(300);
    assert.equal(publisher.longPollsHeld, 1);
    const t0 = performance.now();
    await db.pool.query(insertLocationSql, ['the new one']);
    const res = await held;
    const waited = performance.now() - t0;
    assert.equal(res.status, 200);
    assert.ok(waited < 1000, `answered ${Math.round(waited)} ms after the insert`);
    assert.equal(res.headers[LONG_POLL_HEADER], '10');
    assert.notEqual(res.headers.etag, first.headers.etag);
    const [{ uuid }] = await queryRows<{ uuid: string }>(db.pool, "SELECT uuid FROM location WHERE name = 'the new one'");
    // On the working page, or on the page it completed (when it was the last that page had room for).
    const page = parseFeedPage(res.body.toString('utf8'));
    const prev = page.links['prev-archive'] ? parseFeedPage((await raw(page.links['prev-archive'], AUTH)).body.toString('utf8')).entries : [];
    assert.ok([...page.entries, ...prev].some((e) => e.contentPath.includes(uuid)), 'the new location is in the feed');
    assert.equal(publisher.longPollsHeld, 0);
  });

  test('a held request with nothing new is answered 304 when its wait is over; the wait is capped', async () => {
    const first = await raw(feed('location', 'recent'), AUTH);
    const res = await raw(feed('location', 'recent'), { ...AUTH, 'if-none-match': first.headers.etag!, [LONG_POLL_HEADER]: '1' });
    assert.equal(res.status, 304);
    assert.ok(res.ms >= 950 && res.ms < 3000, `${Math.round(res.ms)} ms`);
    const stale = await raw(feed('location', 'recent'), { ...AUTH, 'if-none-match': '"old"', [LONG_POLL_HEADER]: '999' });
    assert.equal(stale.status, 200, 'a client that is behind is answered at once');
    assert.equal(stale.headers[LONG_POLL_HEADER], String(LONG_POLL_MAX_S));
  });

  test('held requests give their fair share back, and are let go when their client leaves', async () => {
    const first = await raw(feed('location', 'recent'), AUTH);
    const aborts = Array.from({ length: 3 }, () => new AbortController());
    const held = aborts.map((a) =>
      raw(feed('location', 'recent'), { ...AUTH, 'if-none-match': first.headers.etag!, [LONG_POLL_HEADER]: '20' }, a.signal).catch(() => null),
    );
    await sleep(300);
    assert.equal(publisher.longPollsHeld, 3, 'more held than the share of 2 in flight');
    const metrics = (await raw(`${base}/metrics`, AUTH)).body.toString('utf8');
    assert.match(metrics, /^atomsync_long_polls_held 3$/m);
    assert.ok(Number(/^atomsync_page_cache_bytes (\d+)$/m.exec(metrics)?.[1]) > 0, 'the cache counts its bytes');
    const other = await raw(feed('location', 1), AUTH);
    assert.equal(other.status, 200);
    assert.ok(other.ms < 1000, `another request of the same user waited ${Math.round(other.ms)} ms`);
    for (const a of aborts) a.abort();
    await Promise.all(held);
    for (let i = 0; i < 40 && publisher.longPollsHeld > 0; i++) await sleep(25);
    assert.equal(publisher.longPollsHeld, 0);
  });

  test('stopping the publisher answers held requests instead of waiting for them', async () => {
    const first = await raw(feed('location', 'recent'), AUTH);
    const held = raw(feed('location', 'recent'), { ...AUTH, 'if-none-match': first.headers.etag!, [LONG_POLL_HEADER]: '30' }).catch(
      (err: Error) => err,
    );
    await sleep(300);
    assert.equal(publisher.longPollsHeld, 1);
    const t0 = performance.now();
    await publisher.stop();
    assert.ok(performance.now() - t0 < 3000, `stopped in ${Math.round(performance.now() - t0)} ms`);
    const res = await held;
    if (!(res instanceof Error)) assert.equal(res.status, 503);
  });
});

describe('PageCache', () => {
  test('counts every coding of every page, brotli made later too, and evicts the least recently used', async () => {
    const body = 'entry '.repeat(2000);
    const a = await encodeArchive(body, '"a"');
    const b = await encodeArchive(`${body}b`, '"b"');
    assert.equal(a.bytes, a.bodies.identity.length + a.bodies.gzip!.length);
    const cache = new PageCache(a.bytes + b.bytes + 10);
    cache.set('a', a);
    cache.set('b', b);
    assert.equal(cache.size, a.bytes + b.bytes);
    cache.get('a'); // b is now the least recently used
    let added = 0;
    await addBrotli(a, (n) => {
      added = n;
      cache.grew('a', a, n);
    });
    assert.ok(added > 0 && a.bodies.br);
    assert.deepEqual(brotliDecompressSync(a.bodies.br), a.bodies.identity);
    assert.equal(cache.get('b'), undefined, 'over the bound: b goes');
    assert.equal(cache.size, a.bytes);
    cache.grew('b', b, 1000); // no longer held: not counted
    assert.equal(cache.size, a.bytes);
  });
});

describe('NewEvents', () => {
  const live = (o = {}) => {
    const n = new NewEvents(o);
    n.live = true;
    return n;
  };

  test('declines while no relay here leads, when full, and once closed', async () => {
    const signal = new AbortController().signal;
    assert.equal(new NewEvents().wait('all', 1000, signal), null, 'not live');
    const n = live({ maxWaiters: 1 });
    const first = n.wait('location', 1000, signal);
    assert.ok(first);
    assert.equal(n.wait('patient', 1000, signal), null, 'full');
    n.close();
    assert.equal(await first, 'closed');
    assert.equal(n.wait('location', 1000, signal), null, 'closed');
    assert.equal(n.held, 0);
  });

  test('wakes the waiters of the feeds a batch went to, and of all', async () => {
    const n = live();
    const signal = new AbortController().signal;
    const loc = n.wait('location', 5000, signal)!;
    const all = n.wait('all', 5000, signal)!;
    const pat = n.wait('patient', 50, signal)!;
    n.published(['location']);
    assert.equal(await loc, 'event');
    assert.equal(await all, 'event');
    assert.equal(await pat, 'timeout');
    const gone = new AbortController();
    const left = n.wait('patient', 5000, gone.signal)!;
    gone.abort();
    assert.equal(await left, 'gone');
    const held = n.wait('obs', 5000, signal)!;
    n.live = false;
    assert.equal(await held, 'event', 'losing the relay wakes everyone to look again');
    assert.equal(n.held, 0);
  });
});
