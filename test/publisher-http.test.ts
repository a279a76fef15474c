// The publisher over real HTTP against the real MariaDB: paging, caching, auth, errors.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Publisher } from '../publisher/publisher.ts';
import { parseFeedPage } from '../subscriber/atom/parse.ts';
import type { ParsedPage } from '../subscriber/atom/parse.ts';
import { ARCHIVE_CACHE_CONTROL, FEED_PATH, REST_PATH } from '../shared/protocol.ts';
import { silentLogger } from '../shared/logger.ts';
import { parseDbUrl, queryRows } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic, get } from './helpers/http.ts';
import { drainOutbox, insertLocationSql } from './helpers/relay.ts';

const AUTH = { authorization: basic('hq', 's3cret') };

describe('publisher over HTTP', () => {
  let db: TestDb;
  let publisher: Publisher;
  let base: string;
  const feed = (category: string, page: string | number) => `${base}${FEED_PATH}/${category}/${page}`;
  const fetchPage = async (url: string): Promise<ParsedPage> => {
    const res = await get(url, AUTH);
    assert.equal(res.status, 200, `${url}: ${res.body}`);
    return parseFeedPage(res.body);
  };
  /** Walks a feed as a fresh subscriber would: page 1, then next-archive links, to the working page. */
  const walk = async (category: string) => {
    const positions: number[] = [];
    let url: string | undefined = feed(category, 1);
    const seen = new Set<string>();
    while (url) {
      assert.ok(!seen.has(url), 'no page visited twice');
      seen.add(url);
      const page = await fetchPage(url);
      positions.push(...page.entries.map((e) => e.position!));
      url = page.links['next-archive'];
    }
    return positions;
  };
  const addLocations = async (n: number, prefix: string) => {
    for (let i = 0; i < n; i++) await db.pool.query(insertLocationSql, [`${prefix}-${i}`]);
    await drainOutbox(db.pool);
  };

  before(async () => {
    db = await freshDatabase('pubhttp');
    await migrate(db.pool, 'field-a');
    publisher = new Publisher(
      { dbUrl: db.url, port: 0, users: new Map([['hq', 's3cret']]), pageSize: 50, noRelay: true, serverFullWaitMs: 500 },
      silentLogger,
    );
    base = await publisher.start();
  });
  after(async () => {
    await publisher.stop();
    await db.drop();
  });

  test('every feed and resource needs credentials', async () => {
    for (const url of [feed('all', 'recent'), feed('location', 1), `${base}${REST_PATH}/location/00000000-0000-4000-8000-000000000000`]) {
      const none = await get(url);
      assert.equal(none.status, 401);
      assert.match(none.headers['www-authenticate'], /^Basic realm="atomsync"/);
      const wrong = await get(url, { authorization: basic('hq', 'wrong') });
      assert.equal(wrong.status, 401);
    }
  });

  test('an empty feed is a valid working page 1', async () => {
    const page = await fetchPage(feed('all', 'recent'));
    assert.equal(page.entries.length, 0);
    assert.equal(page.archive, false);
    assert.equal(page.links.via, feed('all', 1));
    assert.equal(page.links['prev-archive'], undefined);
  });

  test('walking from page 1 by next-archive yields every event once, in order', async () => {
    await addLocations(120, 'walk');
    const recent = await fetchPage(feed('location', 'recent'));
    assert.equal(recent.links.self, feed('location', 'recent'));
    assert.equal(recent.links.via, feed('location', 3));
    assert.equal(recent.links['prev-archive'], feed('location', 2));
    assert.equal(recent.entries.length, 20);
    const positions = await walk('location');
    assert.deepEqual(positions, Array.from({ length: 120 }, (_, i) => i + 1));
    const all = await walk('all');
    assert.equal(all.length, 120);
  });

  test('a reader following next-archive finds the next pages already rendered, each rendered once', async () => {
    const rendered = async () => {
      const text = (await get(`${base}/metrics`, AUTH)).body;
      const n = (how: string) => Number(new RegExp(`^atomsync_archive_pages_rendered_total\\{how="${how}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
      return { asked: n('asked'), ahead: n('ahead') };
    };
    // The location feed had 120 events (pages 1-2 complete, 3 the working page); 150 more complete pages 3, 4 and 5.
    await addLocations(150, 'ahead');
    const before = await rendered();
    assert.ok(Number.isInteger(before.asked) && Number.isInteger(before.ahead), 'the metric is there');
    const third = parseFeedPage((await get(feed('location', 3), AUTH)).body);
    assert.deepEqual(third.entries.map((e) => e.position), Array.from({ length: 50 }, (_, i) => 101 + i));
    // Pages 4 and 5 are rendered ahead; page 6, the working page, is not (it still changes).
    const deadline = Date.now() + 5_000;
    while ((await rendered()).ahead < before.ahead + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const n of [4, 5]) {
      const page = parseFeedPage((await get(feed('location', n), AUTH)).body);
      assert.deepEqual(page.entries.map((e) => e.position), Array.from({ length: 50 }, (_, i) => 50 * (n - 1) + 1 + i), `page ${n}`);
      assert.equal(page.archive, true);
    }
    assert.equal((await fetchPage(feed('location', 6))).entries.length, 20);
    await new Promise((r) => setTimeout(r, 100)); // reading 4 and 5 asks for nothing more: 6 is not complete
    assert.deepEqual(await rendered(), { asked: before.asked + 1, ahead: before.ahead + 2 });
  });

  test('complete pages are archives: immutable, cached for a year, linked both ways', async () => {
    const res = await get(feed('location', 2), AUTH);
    assert.equal(res.status, 200);
    assert.equal(res.headers['cache-control'], ARCHIVE_CACHE_CONTROL);
    assert.match(res.headers.etag, /^"[^"]+"$/, 'a strong ETag');
    assert.match(res.headers['content-type'], /^application\/atom\+xml/);
    const page = parseFeedPage(res.body);
    assert.equal(page.archive, true);
    assert.equal(page.links['prev-archive'], feed('location', 1));
    assert.equal(page.links['next-archive'], feed('location', 3));
    assert.equal(page.links.current, feed('location', 'recent'));
    const first = await fetchPage(feed('location', 1));
    assert.equal(first.links['prev-archive'], undefined);
    assert.equal(first.entries.length, 50);
  });

  test('full pages never change as new events arrive', async () => {
    const before1 = await get(feed('location', 1), AUTH);
    const before2 = await get(feed('location', 2), AUTH);
    await addLocations(80, 'more');
    const after1 = await get(feed('location', 1), AUTH);
    const after2 = await get(feed('location', 2), AUTH);
    assert.equal(after1.body, before1.body);
    assert.equal(after1.headers.etag, before1.headers.etag);
    assert.equal(after2.body, before2.body);
    assert.equal(after2.headers.etag, before2.headers.etag);
    // Page 3 was the working page and is now complete: it gained entries and became an archive.
    const p3 = await fetchPage(feed('location', 3));
    assert.equal(p3.archive, true);
    assert.equal(p3.entries.length, 50);
  });

  test('recent answers 304 to an unchanged If-None-Match, 200 once something is published', async () => {
    const first = await get(feed('location', 'recent'), AUTH);
    assert.match(first.headers['cache-control'], /max-age=\d+/);
    assert.doesNotMatch(first.headers['cache-control'], /immutable/);
    const again = await get(feed('location', 'recent'), { ...AUTH, 'if-none-match': first.headers.etag });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    const archive = await get(feed('location', 1), AUTH);
    const archive304 = await get(feed('location', 1), { ...AUTH, 'if-none-match': archive.headers.etag });
    assert.equal(archive304.status, 304);
    await addLocations(1, 'new');
    const changed = await get(feed('location', 'recent'), { ...AUTH, 'if-none-match': first.headers.etag });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.etag, first.headers.etag);
  });

  test('responses are gzip-compressed when the client accepts it', async () => {
    const res = await get(feed('location', 1), { ...AUTH, 'accept-encoding': 'gzip' });
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(parseFeedPage(res.body).entries.length, 50);
  });

  test('a transaction that commits late is still found by a reader who passed its neighbours', async () => {
    const early = await db.pool.getConnection();
    await early.beginTransaction();
    await early.query(insertLocationSql, ['early']);
    await db.pool.query(insertLocationSql, ['late']);
    await drainOutbox(db.pool);
    const positions = await walk('location');
    const marker = positions[positions.length - 1];
    await early.commit();
    early.release();
    await drainOutbox(db.pool);
    const after = await walk('location');
    assert.deepEqual(after.slice(positions.length), [marker + 1], 'exactly one new event after the marker');
    assert.deepEqual(after, Array.from({ length: after.length }, (_, i) => i + 1), 'no gap, no duplicate');
    const names = await queryRows<{ name: string }>(db.pool, `SELECT name FROM location WHERE name IN ('early', 'late')`);
    assert.equal(names.length, 2);
  });

  test('bad requests get a clear 4xx and never a stack trace', async () => {
    const cases: Array<[string, number]> = [
      [feed('location', 0), 400],
      [feed('location', 'abc'), 400],
      [feed('location', '-1'), 400],
      [feed('location', '99999999999999999999999'), 400],
      [feed('location', 99999), 404],
      [feed('nosuchthing', 'recent'), 404],
      [`${base}${FEED_PATH}/..%2f..%2fetc/recent`, 404],
      [`${base}${FEED_PATH}/location/%E0%A4%A`, 400],
      [`${base}/etc/passwd`, 404],
      [`${base}${REST_PATH}/location/not%20a%20uuid`, 400],
      [`${base}${REST_PATH}/location/${'a'.repeat(39)}`, 400],
      [`${base}${REST_PATH}/location/5089AAAAAAAAAAAAAAAAAAAAAAAAAAAA`, 404],
      [`${base}${REST_PATH}/location/00000000-0000-4000-8000-000000000000`, 404],
      [`${base}${REST_PATH}/users/00000000-0000-4000-8000-000000000000`, 404],
      [`${base}${REST_PATH}/location/00000000-0000-4000-8000-000000000000?v=ref&v=full`, 400],
      [`${base}${REST_PATH}/location/00000000-0000-4000-8000-000000000000?v=ref`, 404],
      [`${base}${REST_PATH}/location/00000000-0000-4000-8000-000000000000?v=nonsense`, 400],
      [`${base}${REST_PATH}/location?uuids=00000000-0000-4000-8000-000000000000&v=custom:(uuid,nosuch)`, 400],
      [`${base}${REST_PATH}/location?uuids=00000000-0000-4000-8000-000000000000&v=custom:(uuid`, 400],
    ];
    for (const [url, status] of cases) {
      const res = await get(url, AUTH);
      assert.equal(res.status, status, `${url} -> ${res.status} ${res.body}`);
      const body = JSON.parse(res.body);
      assert.equal(typeof body.error.message, 'string');
      assert.doesNotMatch(res.body, /at \w+ \(|node_modules|\.ts:\d+/, 'no stack trace');
    }
  });

  test('a known resource is served in its OpenMRS representation', async () => {
    const [{ uuid }] = await queryRows<{ uuid: string }>(db.pool, `SELECT uuid FROM location WHERE name = 'early'`);
    const res = await get(`${base}${REST_PATH}/location/${uuid}?v=full`, AUTH);
    assert.equal(res.status, 200);
    const rep = JSON.parse(res.body);
    assert.equal(rep.uuid, uuid);
    assert.equal(rep.display, 'early');
    assert.equal(rep.retired, false);
    // v=sync: the same without labels and links, alone and in a list
    const lean = JSON.parse((await get(`${base}${REST_PATH}/location/${uuid}?v=sync`, AUTH)).body);
    assert.equal(lean.uuid, uuid);
    assert.equal(lean.name, 'early');
    assert.equal(lean.retired, false);
    assert.equal('display' in lean || 'links' in lean, false, JSON.stringify(lean));
    const list = await get(`${base}${REST_PATH}/location?v=sync&uuids=${uuid}`, AUTH);
    assert.equal(list.status, 200);
    assert.deepEqual(JSON.parse(list.body), { results: [lean] });
  });

  test('wrong passwords past the first five are answered later and later (the default brake), the right one at once', async () => {
    // From an address and at a name of their own, so the failures of the tests above do not count.
    const timed = (authorization: string) =>
      new Promise<{ status: number; ms: number }>((resolve, reject) => {
        const t = performance.now();
        const url = new URL(feed('all', 'recent'));
        const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { authorization }, localAddress: '127.0.0.9', agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t }));
        });
        req.on('error', reject);
        req.end();
      });
    const took: number[] = [];
    for (let i = 0; i < 7; i++) {
      const a = await timed(basic('brake-test', `guess${i}`));
      assert.equal(a.status, 401);
      took.push(a.ms);
    }
    const shown = took.map(Math.round).join(' ');
    assert.ok(took.slice(0, 5).every((ms) => ms < 250), `five answered at once: ${shown}`);
    assert.ok(took[5] >= 490 && took[6] >= 990, `then 0.5 s, 1 s: ${shown}`);
    const right = await timed(AUTH.authorization);
    assert.equal(right.status, 200);
    assert.ok(right.ms < 250, `the right password from that address in ${Math.round(right.ms)} ms`);
  });
});

describe('a database out of connections', () => {
  // A per-user connection limit stands in for max_connections on a shared server: MariaDB refuses
  // the publisher's next connection the same way (errno 1203 here, 1040 server-wide).
  const user = `as_busy_${process.pid}`;
  const hosts = ['%', 'localhost', '127.0.0.1'];
  let db: TestDb;
  let publisher: Publisher;
  const held: Array<{ end(): Promise<void> }> = [];

  before(async () => {
    db = await freshDatabase('busy');
    await migrate(db.pool, 'field-busy');
    const name = db.url.slice(db.url.lastIndexOf('/') + 1);
    for (const h of hosts) {
      await db.pool.query(`CREATE OR REPLACE USER '${user}'@'${h}' IDENTIFIED BY 'pw'`);
      await db.pool.query(`GRANT ALL ON \`${name}\`.* TO '${user}'@'${h}'`);
    }
    publisher = new Publisher(
      { dbUrl: db.url.replace('://root@', `://${user}:pw@`), port: 0, users: new Map([['hq', 's3cret']]), pageSize: 50, noRelay: true },
      silentLogger,
    );
  });
  after(async () => {
    await Promise.all(held.map((c) => c.end().catch(() => undefined)));
    await publisher.stop().catch(() => undefined);
    for (const h of hosts) await db.pool.query(`DROP USER IF EXISTS '${user}'@'${h}'`);
    await db.drop();
  });

  test('a request the database cannot take (refused for the 0.5 s it waits) is answered 503 with Retry-After, not 500, and served once it can', async () => {
    const base = await publisher.start();
    await db.pool.query(insertLocationSql, ['busy-0']);
    const [loc] = await queryRows<{ uuid: string }>(db.pool, 'SELECT uuid FROM location ORDER BY location_id DESC LIMIT 1');
    const url = `${base}${REST_PATH}/location/${loc.uuid}?v=full`;
    assert.equal((await get(url, AUTH)).status, 200, 'served while connections are free');
    // From now on the user gets one connection, which someone else holds; the publisher's own are closed.
    for (const h of hosts) await db.pool.query(`ALTER USER '${user}'@'${h}' WITH MAX_USER_CONNECTIONS 1`);
    const mysql = await import('mysql2/promise');
    const { host, port, database } = parseDbUrl(db.url);
    held.push(await mysql.createConnection({ host, port, database, user, password: 'pw' }));
    const theirs = await queryRows<{ id: number }>(db.pool, 'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> ?', [
      user, Number((await queryRows<{ id: number }>(held[0] as never, 'SELECT CONNECTION_ID() AS id'))[0].id),
    ]);
    for (const c of theirs) await db.pool.query(`KILL ${Number(c.id)}`);
    await new Promise((r) => setTimeout(r, 300)); // the pool drops the connections the server closed
    const busy = await get(url, AUTH);
    assert.equal(busy.status, 503, busy.body);
    assert.equal(busy.headers['retry-after'], '2');
    assert.equal(busy.headers['cache-control'], 'no-store');
    assert.equal(JSON.parse(busy.body).error.code, 'database_busy');
    await held.pop()!.end();
    for (const h of hosts) await db.pool.query(`ALTER USER '${user}'@'${h}' WITH MAX_USER_CONNECTIONS 0`);
    assert.equal((await get(url, AUTH)).status, 200, 'served again once a connection is free');
  });
});
