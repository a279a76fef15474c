// The archive contract across a change of page size, against the real MariaDB, over real HTTP
// and with real processes: the size is recorded, another one is refused, and an explicit re-page
// keeps every complete page byte for byte while new pages take the new size.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FeedLayouts, PageSizeChangedError, RepageLockedError } from '../publisher/feed-layouts.ts';
import { Publisher } from '../publisher/publisher.ts';
import { lockName } from '../publisher/relay.ts';
import { parseFeedPage } from '../subscriber/atom/parse.ts';
import { ARCHIVE_CACHE_CONTROL, FEED_PATH } from '../shared/protocol.ts';
import { queryRows } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { createPatient, openLiveContext, seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic, get } from './helpers/http.ts';
import { atomsync, eventually, killAll, run, waitForOutput } from './helpers/processes.ts';
import type { Proc } from './helpers/processes.ts';
import { drainOutbox, insertLocationSql } from './helpers/relay.ts';

const USERS = new Map([['hq', 's3cret']]);
const ATOM = { authorization: basic('hq', 's3cret') };
const HTML = { ...ATOM, accept: 'text/html' };

const feedUrl = (base: string, category: string, page: string | number) => `${base}${FEED_PATH}/${category}/${page}`;
const pageNumber = (url: string) => Number(url.slice(url.lastIndexOf('/') + 1));

/** Every feed that has events: `all` and each resource with its count. */
async function feedCounts(db: TestDb): Promise<Map<string, number>> {
  const rows = await queryRows<{ feed: string; n: number }>(
    db.pool,
    `SELECT 'all' AS feed, MAX(seq) AS n FROM atomsync_event UNION ALL SELECT resource, MAX(position) FROM atomsync_event GROUP BY resource`,
  );
  return new Map(rows.map((r) => [r.feed, Number(r.n)]));
}

async function segments(db: TestDb) {
  return queryRows<{ feed: string; from_page: number; from_position: number; page_size: number }>(
    db.pool,
    'SELECT feed, from_page, from_position, page_size FROM atomsync_page_segment ORDER BY feed, from_page',
  );
}

async function meta(db: TestDb, name: string): Promise<string | undefined> {
  return (await queryRows<{ value: string }>(db.pool, 'SELECT value FROM atomsync_meta WHERE name = ?', [name]))[0]?.value;
}

interface Served {
  status: number;
  body: string;
  etag: string;
  cacheControl: string;
}

/** Every complete page of every feed, as Atom and as HTML: what caches and markers hold. */
async function archive(base: string, feeds: Iterable<string>): Promise<Map<string, Served>> {
  const out = new Map<string, Served>();
  for (const category of feeds) {
    const recent = parseFeedPage((await get(feedUrl(base, category, 'recent'), ATOM)).body);
    for (let n = 1; n < pageNumber(recent.links.via!); n++) {
      for (const [kind, headers] of [['atom', ATOM], ['html', HTML]] as const) {
        const res = await get(feedUrl(base, category, n), headers);
        out.set(`${kind} ${category}/${n}`, { status: res.status, body: res.body, etag: res.headers.etag, cacheControl: res.headers['cache-control'] });
      }
    }
  }
  return out;
}

function assertUnchanged(before: Map<string, Served>, after: Map<string, Served>, who: string) {
  assert.ok(before.size > 0);
  for (const [key, was] of before) {
    const now = after.get(key);
    assert.ok(now, `${who}: ${key} is still there`);
    assert.equal(now.status, 200, `${who}: ${key}`);
    assert.equal(now.etag, was.etag, `${who}: ${key} keeps its ETag`);
    assert.equal(now.cacheControl, ARCHIVE_CACHE_CONTROL, `${who}: ${key}`);
    assert.ok(now.body === was.body, `${who}: ${key} keeps its bytes`);
  }
}

/**
 * Walks a feed from recent down prev-archive links to page 1, then from page 1 up next-archive
 * links to the working page, checking each page's links. Returns the pages, oldest first.
 */
async function walkBothWays(base: string, category: string) {
  const fetchPage = async (url: string) => {
    const res = await get(url, ATOM);
    assert.equal(res.status, 200, url);
    return { url, body: res.body, page: parseFeedPage(res.body) };
  };
  const down: Array<Awaited<ReturnType<typeof fetchPage>>> = [];
  let url: string | undefined = feedUrl(base, category, 'recent');
  while (url) {
    const p = await fetchPage(url);
    assert.ok(down.length < 10_000);
    down.push(p);
    url = p.page.links['prev-archive'];
  }
  down.reverse();
  const newest = pageNumber(down[down.length - 1]!.page.links.via!);
  assert.equal(down.length, newest, `${category}: prev-archive from recent reaches every page down to 1`);
  const up: typeof down = [];
  url = feedUrl(base, category, 1);
  while (url) {
    const p = await fetchPage(url);
    assert.ok(up.length < 10_000);
    up.push(p);
    url = p.page.links['next-archive'];
  }
  assert.equal(up.length, newest, `${category}: next-archive from 1 reaches the working page`);
  up.forEach((p, i) => {
    const n = i + 1;
    assert.equal(p.page.links.via, feedUrl(base, category, n));
    assert.equal(p.page.links['prev-archive'], n > 1 ? feedUrl(base, category, n - 1) : undefined, `${category}/${n} prev-archive`);
    assert.equal(p.page.links['next-archive'], n < newest ? feedUrl(base, category, n + 1) : undefined, `${category}/${n} next-archive`);
    assert.equal(p.page.archive, n < newest, `${category}/${n} is an archive exactly when complete`);
    const d = down[i]!.page;
    assert.deepEqual(d.entries.map((e) => e.id), p.page.entries.map((e) => e.id), `${category}/${n} the same both ways`);
  });
  const positions = up.flatMap((p) => p.page.entries.map((e) => e.position!));
  return { pages: up.map((p) => ({ n: pageNumber(p.page.links.via!), positions: p.page.entries.map((e) => e.position!), body: p.body })), positions };
}

/** Every event exactly once, in order, and each complete page of the expected size. */
async function assertFeedsPaged(base: string, db: TestDb, sizeOf: (feed: string, page: number) => number) {
  const counts = await feedCounts(db);
  const bodies = new Map<string, string>();
  for (const [feed, count] of counts) {
    const { pages, positions } = await walkBothWays(base, feed);
    assert.deepEqual(positions, Array.from({ length: count }, (_, i) => i + 1), `${feed}: every event once, in order`);
    for (const p of pages.slice(0, -1)) assert.equal(p.positions.length, sizeOf(feed, p.n), `${feed}/${p.n} holds ${sizeOf(feed, p.n)}`);
    const working = pages[pages.length - 1]!;
    assert.ok(working.positions.length < sizeOf(feed, working.n), `${feed}: the working page is not full`);
    for (const p of pages) bodies.set(`${feed}/${p.n}`, p.body);
  }
  return bodies;
}

describe('the page size is recorded, and changed only by an explicit re-page', { timeout: 240_000 }, () => {
  let db: TestDb;
  const running: Publisher[] = [];
  // Links are absolute, so a page's bytes name the port: a publisher that replaces another takes its port.
  const start = async (o: { pageSize?: number; repage?: boolean; port?: number }) => {
    const p = new Publisher({ dbUrl: db.url, port: 0, users: USERS, noRelay: true, ...o }, silentLogger);
    const base = await p.start();
    running.push(p);
    return { p, base };
  };
  const stop = async (p: Publisher) => {
    running.splice(running.indexOf(p), 1);
    await p.stop();
  };
  const addLocations = async (n: number) => {
    for (let i = 0; i < n; i++) await db.pool.query(insertLocationSql, [`repage-${i}`]);
    await drainOutbox(db.pool);
  };
  /** Per feed, the page the first re-page (7 -> 20) started the new size at. */
  const firstBoundary = new Map<string, number>();

  before(async () => {
    db = await freshDatabase('repage');
    await migrate(db.pool, 'field-a');
    await seedNode(db.pool, { patients: 2, seed: 'repage' }); // some 230 events in 13 feeds
    await drainOutbox(db.pool);
  });
  after(async () => {
    for (const p of running) await p.stop();
    await db.drop();
  });

  test('the first start records its size; another size is refused, saying why and what to do; none means the recorded one', async () => {
    const first = await start({ pageSize: 7 });
    assert.equal(await meta(db, 'page_size'), '7');
    await stop(first.p);
    const refused = new Publisher({ dbUrl: db.url, port: 0, users: USERS, noRelay: true, pageSize: 9 }, silentLogger);
    await assert.rejects(refused.start(), (err: Error) => {
      assert.ok(err instanceof PageSizeChangedError, String(err));
      assert.match(err.message, /paged 7 events a page.*asks for 9/);
      assert.match(err.message, /promised never to change/);
      assert.match(err.message, /markers and caches hold their URLs/);
      assert.match(err.message, /start with --page-size 7/);
      assert.match(err.message, /--page-size 9 --repage/);
      return true;
    });
    assert.equal(await meta(db, 'page_size'), '7', 'the recorded size is kept');
    assert.deepEqual(await segments(db), []);
    const plain = await start({});
    const recent = parseFeedPage((await get(feedUrl(plain.base, 'all', 'recent'), ATOM)).body);
    const count = (await feedCounts(db)).get('all')!;
    assert.equal(recent.links.via, feedUrl(plain.base, 'all', Math.floor(count / 7) + 1), 'pages of 7');
    await stop(plain.p);
  });

  test('`atomsync publish` with another size exits 1 at once with the explanation', async () => {
    const t0 = Date.now();
    const r = await run(['publish', '--db', db.url, '--port', '0', '--users', 'hq:s3cret', '--page-size', '9'], 20_000);
    assert.equal(r.code, 1, r.out);
    assert.ok(Date.now() - t0 < 15_000, 'it does not linger');
    assert.match(r.out, /atomsync publish: this database's feeds are paged 7 events a page/);
    assert.match(r.out, /--page-size 9 --repage/);
    const noSize = await run(['publish', '--db', db.url, '--port', '0', '--users', 'hq:s3cret', '--repage'], 20_000);
    assert.equal(noSize.code, 2, noSize.out);
    assert.match(noSize.out, /--repage needs --page-size/);
    assert.equal(await meta(db, 'page_size'), '7');
  });

  test('--repage keeps every complete page byte for byte and ETag for ETag; new pages take the new size, linked across the boundary', async () => {
    // A replica started before the re-page keeps running through it: it must learn the new layout.
    const replica = await start({ pageSize: 7 });
    const main = await start({ pageSize: 7 });
    const countsBefore = await feedCounts(db);
    const archived = await archive(main.base, countsBefore.keys());
    const archivedByReplica = await archive(replica.base, countsBefore.keys());
    // The new size starts at the page that was the working page.
    for (const [feed, n] of countsBefore) firstBoundary.set(feed, Math.floor(n / 7) + 1);
    await stop(main.p);

    const repaged = await start({ pageSize: 20, repage: true, port: Number(new URL(main.base).port) });
    assert.equal(await meta(db, 'page_size'), '20');
    assert.equal(await meta(db, 'page_layout'), '1');
    const expected = [...firstBoundary]
      .filter(([, b]) => b > 1) // a feed with no complete page yet is 20 a page from page 1: no segments
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([feed, b]) => [
        { feed, from_page: 1, from_position: 1, page_size: 7 },
        { feed, from_page: b, from_position: (b - 1) * 7 + 1, page_size: 20 },
      ]);
    const rows = (await segments(db)).map((r) => ({ ...r, from_page: Number(r.from_page), from_position: Number(r.from_position) }));
    assert.deepEqual(rows, expected);

    assertUnchanged(archived, await archive(repaged.base, countsBefore.keys()), 'after --repage');
    assertUnchanged(archivedByReplica, await archive(replica.base, countsBefore.keys()), 'the replica, after --repage');

    await seedNode(db.pool, { patients: 5, seed: 'repage', patientsPerBatch: 1 }); // three more patients: some 350 events more
    await drainOutbox(db.pool);
    const sizeOf = (feed: string, page: number) => (page < firstBoundary.get(feed)! ? 7 : 20);
    const fromRepaged = await assertFeedsPaged(repaged.base, db, sizeOf);
    const fromReplica = await assertFeedsPaged(replica.base, db, sizeOf);
    assert.deepEqual([...fromReplica.keys()], [...fromRepaged.keys()]);
    for (const [key, body] of fromRepaged) {
      assert.ok(fromReplica.get(key)?.replaceAll(replica.base, repaged.base) === body, `the replica serves ${key} as the re-paged publisher does`);
    }
    assertUnchanged(archived, await archive(repaged.base, countsBefore.keys()), 'after more events');

    const root = JSON.parse((await get(`${repaged.base}/`, { ...ATOM, accept: 'application/json' })).body);
    assert.equal(root.pageSize, 20);
    for (const f of root.feeds as Array<{ category: string; newestPage: number; recentUrl: string }>) {
      const recent = parseFeedPage((await get(f.recentUrl, ATOM)).body);
      assert.equal(feedUrl(repaged.base, f.category, f.newestPage), recent.links.via, `root page: ${f.category}'s working page`);
    }
    await stop(replica.p);
    await stop(repaged.p);
  });

  test('re-paging to the same size changes nothing; re-paging again works, and a size the working page has passed waits for it', async () => {
    const segmentsBefore = await segments(db);
    const same = await start({ pageSize: 20, repage: true });
    assert.deepEqual(await segments(db), segmentsBefore);
    assert.equal(await meta(db, 'page_layout'), '1', 'no new layout version');
    // Leave 10 events on the working page of `all`: more than the next size, 3.
    const held = parseFeedPage((await get(feedUrl(same.base, 'all', 'recent'), ATOM)).body).entries.length;
    await addLocations((10 - held + 20) % 20);
    const countsBefore = await feedCounts(db);
    const archived = await archive(same.base, countsBefore.keys());
    // Each feed's working page as served before: where it is, and what it holds.
    const working = new Map<string, { url: string; ids: string[] }>();
    for (const feed of countsBefore.keys()) {
      const page = parseFeedPage((await get(feedUrl(same.base, feed, 'recent'), ATOM)).body);
      working.set(feed, { url: page.links.via!, ids: page.entries.map((e) => e.id) });
    }
    assert.equal(working.get('all')!.ids.length, 10);
    await stop(same.p);

    const small = await start({ pageSize: 3, repage: true, port: Number(new URL(same.base).port) });
    assert.equal(await meta(db, 'page_layout'), '2');
    assertUnchanged(archived, await archive(small.base, countsBefore.keys()), 'after the second re-page');
    for (const [feed, w] of working) {
      const now = parseFeedPage((await get(w.url, ATOM)).body);
      assert.deepEqual(now.entries.map((e) => e.id).slice(0, w.ids.length), w.ids, `${feed}: the working page keeps what it was served with`);
    }
    await seedNode(db.pool, { patients: 6, seed: 'repage', patientsPerBatch: 1 });
    await addLocations(40);
    // The size 3 starts at the working page when it held 3 or fewer, else on the page after it.
    const secondBoundary = new Map([...working].map(([feed, w]) => [feed, pageNumber(w.url) + (w.ids.length > 3 ? 1 : 0)]));
    await assertFeedsPaged(small.base, db, (feed, page) => (page < firstBoundary.get(feed)! ? 7 : page < secondBoundary.get(feed)! ? 20 : 3));
    assertUnchanged(archived, await archive(small.base, countsBefore.keys()), 'after more events');
    await stop(small.p);
  });
});

describe('a feed that begins after a re-page, and a re-page while a relay runs', { timeout: 120_000 }, () => {
  let db: TestDb;
  const add = async (table: 'location' | 'visit_type', n: number) => {
    for (let i = 0; i < n; i++) await db.pool.query(`INSERT INTO ${table} (name, creator, date_created, uuid) VALUES (?, 1, UTC_TIMESTAMP(), UUID())`, [`late-${i}`]);
    await drainOutbox(db.pool);
  };
  before(async () => {
    db = await freshDatabase('repage_late');
    await migrate(db.pool, 'field-a');
  });
  after(async () => {
    killAll();
    await db.drop();
  });

  test('a resource whose first event comes after the re-page is paged by the new size from page 1', async () => {
    await add('location', 12);
    const first = new Publisher({ dbUrl: db.url, port: 0, users: USERS, noRelay: true, pageSize: 5 }, silentLogger);
    await first.start();
    await first.stop();
    const p = new Publisher({ dbUrl: db.url, port: 0, users: USERS, noRelay: true, pageSize: 8, repage: true }, silentLogger);
    const base = await p.start();
    try {
      assert.deepEqual(new Set((await segments(db)).map((r) => r.feed)), new Set(['all', 'location']), 'only feeds with events get segments');
      await add('visit_type', 20);
      await add('location', 3);
      assert.deepEqual(new Set((await segments(db)).map((r) => r.feed)), new Set(['all', 'location']));
      await assertFeedsPaged(base, db, (feed, page) => (feed === 'visittype' ? 8 : page < 3 ? 5 : 8));
    } finally {
      await p.stop();
    }
  });

  test('a re-page waits for the relay lock, then refuses clearly and changes nothing', async () => {
    const holder = await db.pool.getConnection();
    try {
      const name = await lockName(holder);
      await holder.query('SELECT GET_LOCK(?, 0)', [name]);
      const layoutBefore = await segments(db);
      const t0 = Date.now();
      await assert.rejects(FeedLayouts.open(db.pool, silentLogger, { pageSize: 11, repage: true, lockWaitS: 1 }), (err: Error) => {
        assert.ok(err instanceof RepageLockedError, String(err));
        assert.match(err.message, /relay lock/);
        return true;
      });
      assert.ok(Date.now() - t0 >= 900, 'it waited for the lock');
      assert.equal(await meta(db, 'page_size'), '8');
      assert.deepEqual(await segments(db), layoutBefore);
      await holder.query('SELECT RELEASE_LOCK(?)', [name]);
      const { layouts } = await FeedLayouts.open(db.pool, silentLogger, { pageSize: 11, repage: true, lockWaitS: 1 });
      assert.equal(layouts.pageSize, 11, 'with the lock free the re-page goes through');
    } finally {
      holder.release();
    }
  });

  test('`atomsync publish --repage` while another publisher runs its relay exits 1 and says to stop it', async () => {
    const running = atomsync(['publish', '--db', db.url, '--port', '0', '--users', 'hq:s3cret']);
    try {
      await waitForOutput(running, /publishing at (http:\/\/[^/\s]+)/, 20_000);
      const conn = await db.pool.getConnection();
      const name = await lockName(conn).finally(() => conn.release());
      const held = async () => (await queryRows<{ id: number | null }>(db.pool, 'SELECT IS_USED_LOCK(?) AS id', [name]))[0].id !== null;
      await eventually(held, 10_000, 'the relay to take its lock');
      const r = await run(['publish', '--db', db.url, '--port', '0', '--users', 'hq:s3cret', '--page-size', '4', '--repage'], 30_000);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /cannot re-page: another process has held this database's relay lock/);
      assert.equal(await meta(db, 'page_size'), '11');
    } finally {
      await running.stop();
    }
  });
});

describe('a subscriber whose marker predates the re-pages (real processes)', { timeout: 300_000 }, () => {
  let clinic: TestDb, hq: TestDb;
  let pub: Proc | null = null;
  let port = 0;
  const feed = () => `http://hq:hq-secret@127.0.0.1:${port}${FEED_PATH}/all/recent`;
  const count = async (d: TestDb, sql: string) => Number((await queryRows<{ n: number | null }>(d.pool, sql))[0].n ?? 0);

  /** `atomsync publish` on the clinic, on the same port each time (the subscriber's marker names it). */
  const publish = async (args: string[]) => {
    const p = atomsync(['publish', '--db', clinic.url, '--port', String(port), '--users', 'hq:hq-secret', ...args]);
    const url = await waitForOutput(p, /publishing at (http:\/\/[^/\s]+)/, 20_000);
    port = Number(new URL(url).port);
    pub = p;
  };
  /** Writes more patients at the clinic and waits until its relay has published them. */
  const morePatients = async (patients: number) => {
    const before = await count(clinic, 'SELECT MAX(seq) AS n FROM atomsync_event');
    await seedNode(clinic.pool, { patients, seed: 'repage-e2e', patientsPerBatch: 1 });
    await eventually(
      async () => (await count(clinic, 'SELECT COUNT(*) AS n FROM atomsync_outbox')) === 0 && (await count(clinic, 'SELECT MAX(seq) AS n FROM atomsync_event')) > before,
      30_000,
      'the relay to publish',
    );
  };
  /** `subscribe --once`, then: HQ holds exactly the clinic's data, and took every event exactly once. */
  const catchUp = async () => {
    const r = await run(['subscribe', '--once', '--db', hq.url, '--node-id', 'hq', '--feed', feed()], 120_000);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, / 0 dead letters/);
    assert.doesNotMatch(r.out, /resuming by position/, 'every marker entry is still on its page');
    const v = await run(['verify', '--source', clinic.url, '--target', hq.url]);
    assert.equal(v.code, 0, `verify:\n${v.out}`);
    const [marker] = await queryRows<{ events_seen: number; last_page_url: string; last_position: number }>(
      hq.pool,
      'SELECT events_seen, last_page_url, last_position FROM atomsync_marker',
    );
    const published = await count(clinic, 'SELECT MAX(seq) AS n FROM atomsync_event');
    assert.equal(Number(marker.events_seen), published, 'every event consumed once');
    assert.equal(Number(marker.last_position), published);
    return marker;
  };

  before(async () => {
    [clinic, hq] = await Promise.all([freshDatabase('repage_clinic'), freshDatabase('repage_hq')]);
    await migrate(clinic.pool, 'field-a');
    await migrate(hq.pool, 'hq');
    await seedNode(clinic.pool, { patients: 2, seed: 'repage-e2e' });
  });
  after(async () => {
    killAll();
    await Promise.all([clinic, hq].map((d) => d?.drop()));
  });

  test('catching up across a larger and then a smaller page size applies every event once', async () => {
    await publish(['--page-size', '7']);
    await eventually(async () => (await count(clinic, 'SELECT COUNT(*) AS n FROM atomsync_outbox')) === 0, 30_000, 'the relay');
    const first = await catchUp();
    await morePatients(3); // the marker's page fills up and more pages of 7 follow
    await pub!.stop();

    await publish(['--page-size', '50', '--repage']);
    const [boundary] = await queryRows<{ p: number }>(clinic.pool, `SELECT MAX(from_page) AS p FROM atomsync_page_segment WHERE feed = 'all'`);
    assert.ok(pageNumber(first.last_page_url) < Number(boundary.p), 'the marker is on a page of the old size');
    await morePatients(4);
    const second = await catchUp();
    assert.ok(pageNumber(second.last_page_url) >= Number(boundary.p), 'the subscriber crossed into pages of 50');
    await pub!.stop();

    await publish(['--page-size', '3', '--repage']);
    await morePatients(5);
    await catchUp();
    assert.equal(await count(clinic, `SELECT COUNT(DISTINCT page_size) AS n FROM atomsync_page_segment WHERE feed = 'all'`), 3, 'pages of 7, 50 and 3');
    await pub!.stop();
  });
});
