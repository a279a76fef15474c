// The publisher's pages for people, over real HTTP against the real MariaDB: content
// negotiation on feed and REST URLs, escaping, the root page, subscriber positions, /metrics.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FEED_CATEGORIES } from '../publisher/admin-routes.ts';
import { html } from '../shared/web/html.ts';
import { PublisherCounters, renderMetrics } from '../publisher/metrics.ts';
import { Publisher } from '../publisher/publisher.ts';
import { SubscriberPositions } from '../publisher/subscriber-positions.ts';
import { parseFeedPage } from '../subscriber/atom/parse.ts';
import { ARCHIVE_CACHE_CONTROL, FEED_PATH, REST_PATH, SUBSCRIBER_HEADER } from '../shared/protocol.ts';
import { ORIGIN_SESSION_VAR } from '../shared/schema/triggers.ts';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic, get } from './helpers/http.ts';
import { drainOutbox, insertLocationSql } from './helpers/relay.ts';

const AUTH = { authorization: basic('hq', 's3cret') };
/** What Chromium and Firefox send for a page load. */
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
/** What atomsync's own feed reader sends. */
const FEED_READER = 'application/atom+xml, application/xml;q=0.9';
const HOSTILE_NAME = '<script>alert(1)</script>';
const HOSTILE_ORIGIN = '"><img src=x onerror=alert(2)>';

/** One sample line of the exposition format: name{labels} value. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?|NaN|[+-]Inf)$/;

function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    samples.set(`${m[1]}{${m[2] ?? ''}}`, Number(m[3]));
  }
  return samples;
}

describe('publisher pages for people', () => {
  let db: TestDb;
  let publisher: Publisher;
  let base: string;
  let hostileUuid: string;
  const feed = (category: string, page: string | number) => `${base}${FEED_PATH}/${category}/${page}`;
  const start = async () => {
    publisher = new Publisher(
      { dbUrl: db.url, port: 0, users: new Map([['hq', 's3cret']]), pageSize: 50, noRelay: true },
      silentLogger,
    );
    base = await publisher.start();
  };
  const rootJson = async () => {
    const res = await get(`${base}/`, { ...AUTH, accept: 'application/json' });
    assert.equal(res.status, 200, res.body);
    assert.match(res.headers['content-type'], /^application\/json/);
    return JSON.parse(res.body);
  };

  before(async () => {
    db = await freshDatabase('pubadmin');
    await migrate(db.pool, 'field-a');
    for (let i = 0; i < 119; i++) await db.pool.query(insertLocationSql, [`clinic-${i}`]);
    const conn = await db.pool.getConnection();
    await conn.query(`SET ${ORIGIN_SESSION_VAR} = ?`, [HOSTILE_ORIGIN]);
    await conn.query(insertLocationSql, [HOSTILE_NAME]);
    await conn.query(`SET ${ORIGIN_SESSION_VAR} = NULL`);
    conn.release();
    await drainOutbox(db.pool);
    [{ uuid: hostileUuid }] = await queryRows<{ uuid: string }>(db.pool, 'SELECT uuid FROM location WHERE name = ?', [HOSTILE_NAME]);
    await start();
  });
  after(async () => {
    await publisher.stop();
    await db.drop();
  });

  test('feed readers still get Atom: no Accept, */*, Atom, and what atomsync sends', async () => {
    for (const accept of [undefined, '*/*', 'application/atom+xml', FEED_READER]) {
      for (const url of [feed('location', 'recent'), feed('location', 1)]) {
        const res = await get(url, accept ? { ...AUTH, accept } : AUTH);
        assert.equal(res.status, 200);
        assert.match(res.headers['content-type'], /^application\/atom\+xml/, `${accept}: ${res.headers['content-type']}`);
        assert.match(res.headers.vary, /\bAccept\b/);
        assert.match(res.headers.vary, /Accept-Encoding/);
        assert.ok(parseFeedPage(res.body).entries.length > 0);
      }
    }
  });

  test('a browser gets the same pages as HTML, with ETags of their own', async () => {
    for (const [url, immutable] of [
      [feed('location', 'recent'), false],
      [feed('location', 2), true],
    ] as const) {
      const atom = await get(url, AUTH);
      const page = await get(url, { ...AUTH, accept: BROWSER });
      assert.equal(page.status, 200);
      assert.match(page.headers['content-type'], /^text\/html; charset=utf-8/);
      assert.match(page.body, /^<!doctype html>/);
      assert.match(page.headers.vary, /\bAccept\b/);
      assert.match(page.headers.etag, /^"[^"]+-html"$/);
      assert.notEqual(page.headers.etag, atom.headers.etag);
      assert.equal(page.headers['cache-control'] === ARCHIVE_CACHE_CONTROL, immutable);
      // An ETag of one variant never validates the other.
      const crossed = await get(url, { ...AUTH, 'if-none-match': page.headers.etag });
      assert.equal(crossed.status, 200);
      assert.match(crossed.headers['content-type'], /^application\/atom\+xml/);
      const same = await get(url, { ...AUTH, accept: BROWSER, 'if-none-match': page.headers.etag });
      assert.equal(same.status, 304);
    }
  });

  test('the HTML feed page lists entries and links older, newer, recent and each resource', async () => {
    const archive = (await get(feed('location', 2), { ...AUTH, accept: BROWSER })).body;
    assert.match(archive, /archive/);
    assert.equal(archive.match(/<td title="published/g)?.length, 50);
    assert.ok(archive.includes(`rel="prev-archive" href="${feed('location', 1)}"`));
    assert.ok(archive.includes(`rel="next-archive" href="${feed('location', 3)}"`));
    assert.ok(archive.includes(`rel="current" href="${feed('location', 'recent')}"`));
    assert.match(archive, new RegExp(`href="${base}${REST_PATH}/location/[0-9a-f-]{36}\\?v=full"`));
    const recent = (await get(feed('location', 'recent'), { ...AUTH, accept: BROWSER })).body;
    assert.match(recent, /working page/);
    assert.ok(recent.includes(`rel="prev-archive" href="${feed('location', 2)}"`));
    assert.doesNotMatch(recent, /rel="next-archive"/);
    assert.equal(recent.match(/<td title="published/g)?.length, 20);
  });

  test('a resource is JSON to clients and pretty-printed, escaped HTML to a browser', async () => {
    const url = `${base}${REST_PATH}/location/${hostileUuid}?v=full`;
    const json = await get(url, { ...AUTH, accept: 'application/json' });
    assert.match(json.headers['content-type'], /^application\/json/);
    assert.equal(JSON.parse(json.body).name, HOSTILE_NAME);
    assert.match(json.headers.vary, /\bAccept\b/);
    const page = await get(url, { ...AUTH, accept: BROWSER });
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.match(page.headers.vary, /\bAccept\b/);
    assert.ok(page.body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the name, escaped');
    assert.ok(!page.body.includes(HOSTILE_NAME), 'never the tag itself');
    assert.ok(page.body.includes(`{\n  <span class="k">&quot;uuid&quot;</span>: <span class="s">&quot;${hostileUuid}&quot;</span>,`), 'JSON indented by two spaces');
    assert.ok(page.body.includes(`<a href="${base}${REST_PATH}/location/${hostileUuid}">`), 'its self link is a link');
  });

  test('hostile values are escaped on every page', async () => {
    const all = await get(feed('all', 'recent'), { ...AUTH, accept: BROWSER });
    assert.ok(all.body.includes('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;'), 'the origin, escaped');
    assert.ok(!all.body.includes('<img'), 'no element from a value');
    const notFound = await get(`${base}${FEED_PATH}/%3Cscript%3Ealert(3)%3C%2Fscript%3E/recent`, { ...AUTH, accept: BROWSER });
    assert.equal(notFound.status, 404);
    assert.match(notFound.headers['content-type'], /^text\/html/);
    assert.ok(notFound.body.includes('&lt;script&gt;alert(3)'));
    assert.ok(!notFound.body.includes('<script>'));
    const asJson = await get(`${base}${FEED_PATH}/nosuchthing/recent`, AUTH);
    assert.equal(asJson.status, 404);
    assert.match(asJson.headers['content-type'], /^application\/json/);
  });

  test('the root page lists every feed with its count, and what a subscriber has read', async () => {
    const page = await get(`${base}/`, { ...AUTH, accept: BROWSER });
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /^text\/html/);
    for (const category of FEED_CATEGORIES) assert.ok(page.body.includes(`href="${feed(category, 'recent')}">${category}</a>`), category);
    assert.equal((await get(`${base}${FEED_PATH}`, { ...AUTH, accept: BROWSER })).status, 200);

    const before = await rootJson();
    assert.equal(before.nodeId, 'field-a');
    assert.deepEqual(before.feeds.map((f: { category: string }) => f.category), FEED_CATEGORIES);
    assert.equal(before.feeds.find((f: { category: string }) => f.category === 'location').events, 120);
    assert.equal(before.feeds.find((f: { category: string }) => f.category === 'obs').events, 0);
    assert.deepEqual(before.subscribers, []);

    await get(feed('location', 1), { ...AUTH, [SUBSCRIBER_HEADER]: 'hq' });
    await get(feed('location', 2), { ...AUTH, [SUBSCRIBER_HEADER]: 'hq' });
    await get(feed('location', 1), { ...AUTH, [SUBSCRIBER_HEADER]: 'hq' }); // the highest page counts
    await get(feed('all', 'recent'), { ...AUTH, [SUBSCRIBER_HEADER]: 'hq' });
    await get(feed('all', 'recent'), { ...AUTH, [SUBSCRIBER_HEADER]: '<b>not-a-node</b>' });
    const { subscribers } = await rootJson();
    assert.deepEqual(
      subscribers.map((s: Record<string, unknown>) => ({ ...s, seenAt: typeof s.seenAt })),
      [
        { subscriber: 'hq', node: 'hq', feed: 'all', page: 3, firstPosition: 101, position: 120, behind: 0, seenAt: 'string' },
        { subscriber: 'hq', node: 'hq', feed: 'location', page: 2, firstPosition: 51, position: 100, behind: 20, seenAt: 'string' },
      ],
    );
    const html = (await get(`${base}/`, { ...AUTH, accept: BROWSER })).body;
    assert.match(html, /<strong>hq<\/strong> <span class="muted">node hq<\/span>/);
    assert.match(html, /caught up/);
    assert.ok(!html.includes('not-a-node'));
  });

  test('/metrics is Prometheus text and counts what was served', async () => {
    const scrape = async () => {
      const res = await get(`${base}/metrics`, AUTH);
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
      return parseMetrics(res.body);
    };
    const m1 = await scrape();
    assert.equal(m1.get('atomsync_events_published_total{category="location"}'), 120);
    assert.equal(m1.get('atomsync_events_published_total{category="all"}'), 120);
    assert.equal(m1.get('atomsync_outbox_depth{}'), 0);
    assert.equal(m1.get('atomsync_relay_events_total{}'), 0, 'this publisher runs no relay');
    assert.equal(m1.get('atomsync_subscriber_lag_events{subscriber="hq",feed="location"}'), 20);
    assert.ok(m1.get('atomsync_http_requests_total{status="200"}')! > 0);
    await get(feed('location', 1), AUTH);
    await get(feed('location', 1), { ...AUTH, accept: BROWSER });
    await get(feed('location', 'recent'), AUTH);
    await db.pool.query(insertLocationSql, ['waiting']);
    const m2 = await scrape();
    for (const kind of ['archive', 'html', 'recent']) {
      const k = `atomsync_pages_served_total{kind="${kind}"}`;
      assert.equal(m2.get(k), m1.get(k)! + 1, k);
    }
    assert.equal(m2.get('atomsync_outbox_depth{}'), 1);
    await drainOutbox(db.pool);
  });

  test('the root page, /metrics and HTML pages need credentials too', async () => {
    for (const [url, accept] of [
      [`${base}/`, BROWSER],
      [`${base}/metrics`, 'text/plain'],
      [feed('location', 'recent'), BROWSER],
      [`${base}${REST_PATH}/location/${hostileUuid}`, BROWSER],
    ]) {
      const res = await get(url, { accept });
      assert.equal(res.status, 401, url);
      assert.match(res.headers['www-authenticate'], /^Basic realm="atomsync"/);
      assert.ok(!res.body.includes('field-a'), 'nothing about the node before signing in');
      if (accept === BROWSER) assert.match(res.body, /<h1>401 · Sign in required<\/h1>/);
    }
  });

  test('subscriber positions survive a restart', async () => {
    await publisher.stop(); // flushes what is still in memory
    await start();
    const { subscribers } = await rootJson();
    const location = subscribers.find((s: { feed: string }) => s.feed === 'location');
    assert.equal(location.subscriber, 'hq');
    assert.equal(location.page, 2);
    assert.equal(location.position, 100);
    assert.equal(location.node, 'hq', 'the node id the reader named, kept as a label (the user is the key)');
  });

  test('positions are written at most once a second per row, and never go backwards', async () => {
    let writes = 0;
    const counting = { query: (...args: unknown[]) => (writes++, (db.pool.query as (...a: unknown[]) => unknown)(...args)) } as unknown as Pool;
    const positions = new SubscriberPositions(counting, silentLogger, { writeEveryMs: 200 });
    for (let page = 1; page <= 30; page++) positions.record('erp', 'erp', 'obs', page, page * 50);
    positions.record('erp', 'erp', 'obs', 3, 150);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(writes, 1, 'one write for thirty polls');
    const [row] = await queryRows<{ page: number; position: number }>(db.pool, `SELECT page, position FROM atomsync_subscriber_position WHERE subscriber = 'erp'`);
    assert.equal(Number(row.page), 30);
    assert.equal(Number(row.position), 1500);
    positions.record('erp', 'erp', 'obs', 2, 100);
    await positions.stop();
    assert.equal(writes, 2);
    const [again] = await queryRows<{ page: number }>(db.pool, `SELECT page FROM atomsync_subscriber_position WHERE subscriber = 'erp'`);
    assert.equal(Number(again.page), 30);
  });

  test('a database migrated before the positions table existed is still served, from memory', async () => {
    await db.pool.query('DROP TABLE atomsync_subscriber_position');
    await publisher.stop();
    await start();
    await get(feed('location', 1), { ...AUTH, [SUBSCRIBER_HEADER]: 'hq' });
    const { subscribers } = await rootJson();
    assert.deepEqual(subscribers.map((s: { subscriber: string; feed: string; page: number }) => [s.subscriber, s.feed, s.page]), [['hq', 'location', 1]]);
    assert.equal((await get(`${base}/metrics`, AUTH)).status, 200);
  });
});

describe('escaping, without a server', () => {
  test('html escapes every value, in text and in attributes, but not nested templates', () => {
    const value = `"><script>alert('x')</script>&`;
    const out = html`<a title="${value}">${value}</a>${html`<b>${1}</b>`}${[html`<i>`, '<', html`</i>`]}${null}${undefined}${0}`.text;
    assert.equal(
      out,
      '<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</a><b>1</b><i>&lt;</i>0',
    );
  });

  test('metric label values escape backslash, quote and newline', () => {
    const text = renderMetrics({
      counters: new PublisherCounters(),
      published: [],
      outboxDepth: 0,
      lags: [{ subscriber: 'a"b\\c\nd', feed: 'all', events: 3 }],
    });
    assert.ok(text.includes('atomsync_subscriber_lag_events{subscriber="a\\"b\\\\c\\nd",feed="all"} 3\n'), text);
    parseMetrics(text);
  });
});
