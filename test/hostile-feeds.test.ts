// Hostile and broken feeds, with real processes: HQ reads a good clinic and, at the
// same time, one hostile feed per case from an evil publisher. Each hostile feed
// ends with a clear error in its marker (what the status page shows), nothing it
// offers lands in HQ, nothing is fetched from another host, the good clinic still
// converges, and the subscriber keeps running until it is told to stop.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { ATOM_MEDIA_TYPE, FEED_PATH, MAX_FEED_BYTES } from '../shared/protocol.ts';
import { queryRows } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { seedNode } from '../tools/seed/index.ts';
import { FetchError } from '../subscriber/errors.ts';
import { HttpClient } from '../subscriber/http-client.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { EvilPublisher, Trap, feedPage, gzipBomb, locationRep, streamedBody, tricklingBody, uuidFrom } from './helpers/evil-publisher.ts';
import type { EvilResponse } from './helpers/evil-publisher.ts';
import { atomsync, eventually, killAll, run, startPublisher } from './helpers/processes.ts';
import type { Proc } from './helpers/processes.ts';
import { insertLocationSql } from './helpers/relay.ts';
import { REDIS } from './helpers/status-scenario.ts';

type Pub = Awaited<ReturnType<typeof startPublisher>>;

interface Case {
  /** Also the feed's category on the evil publisher. */
  name: string;
  what: string;
  /** What the marker's last_error must say. */
  error: RegExp;
}

const HUNDRED_MB = 100 * 1024 * 1024;

describe('hostile feeds beside a good one', { timeout: 180_000 }, () => {
  let clinic: TestDb, hq: TestDb;
  let pub: Pub;
  let sub: Proc;
  const evil = new EvilPublisher();
  const trap = new Trap();
  const queue = `atomsync-test-hostile-${process.pid}-${Date.now()}`;
  const huge = streamedBody(HUNDRED_MB);
  const cases: Case[] = [];
  const goodFeed = () => `http://hq:hq-secret@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/all/recent`;
  const goodKey = () => `http://127.0.0.1:${pub.port}/openmrs/ws/atomfeed/all/recent`;
  const count = async (db: TestDb, sql: string, params: unknown[] = []) => Number((await queryRows<{ n: number }>(db.pool, sql, params))[0].n);
  const marker = async (key: string) =>
    (await queryRows<{ last_error: string | null; last_position: number }>(hq.pool, 'SELECT last_error, last_position FROM atomsync_marker WHERE feed_url = ?', [key]))[0];

  /** A hostile feed: `page1` is what page 1 (where a first run starts) and recent answer. */
  const hostile = (name: string, what: string, error: RegExp, page1: EvilResponse | string) => {
    cases.push({ name, what, error });
    evil.page(name, 1, page1);
    evil.page(name, 'recent', page1);
  };
  /** A valid page of this feed with one entry, for a location the evil publisher serves in full. */
  const valid = (name: string, o: { page?: number; newestPage?: number } = {}) => {
    const uuid = uuidFrom(`${name}/location`);
    evil.resource('location', uuid, locationRep(uuid, `evil-${name}`));
    return feedPage(evil.url, name, [{ uuid }], o);
  };

  before(async () => {
    [clinic, hq] = await Promise.all([freshDatabase('hostile_clinic'), freshDatabase('hostile_hq')]);
    await migrate(clinic.pool, 'field-a');
    await migrate(hq.pool, 'hq');
    await seedNode(clinic.pool, { patients: 2, seed: 'hostile' });
    [pub] = await Promise.all([startPublisher(clinic.url), evil.start(), trap.start()]);
    const at = (name: string, page: number | 'recent') => `${evil.url}${FEED_PATH}/${name}/${page}`;

    hostile('not-xml', 'a body that is not XML', /^FeedParseError: not XML.*\/not-xml\/1\)$/, 'this is not a feed');
    const whole = valid('truncated');
    hostile('truncated', 'truncated XML', /^FeedParseError: not XML: the document ends inside <feed> <entry>.*truncated/, whole.slice(0, Math.floor(whole.length * 0.7)));
    const laughs = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`)].join('');
    hostile('billion-laughs', 'a DOCTYPE with entity expansion', /^FeedParseError: DOCTYPE not allowed/,
      valid('billion-laughs').replace('<feed', `<!DOCTYPE feed [${laughs}]><feed`).replace('<generator>atomsync', '<generator>&lol9;'));
    hostile('xxe', 'an external entity', /^FeedParseError: DOCTYPE not allowed/,
      valid('xxe').replace('<feed', `<!DOCTYPE feed [<!ENTITY xxe SYSTEM "${trap.url}/xxe">]><feed`).replace('<generator>atomsync', '<generator>&xxe;'));
    hostile('huge', 'a 100 MB body, streamed', new RegExp(`^BodyTooLargeError: .*/huge/1: body larger than ${MAX_FEED_BYTES} bytes$`), { body: huge.body });
    hostile('gzip-bomb', 'a small gzip body that inflates to 50 MB', /^BodyTooLargeError: .*body larger than/,
      { headers: { 'content-encoding': 'gzip' }, body: await gzipBomb(50 * 1024 * 1024) });
    hostile('html', 'an HTML page (text/html)', /^Error: feed .*\/html\/recent: .*\/html\/1 answered text\/html; charset=utf-8, not Atom XML$/,
      { headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<!doctype html><html><body>Login</body></html>' });
    hostile('no-id', 'an entry without id', /^FeedParseError: entry 1 has no id \(.*\/no-id\/1\)$/, valid('no-id').replace(/(<entry>\s*)<id>[^<]*<\/id>/, '$1'));
    hostile('no-content', 'an entry without content or link', /^FeedParseError: entry 1 has no content/,
      valid('no-content').replace(/<link rel="alternate"[^>]*\/>/, '').replace(/<content[^>]*>.*?<\/content>/, ''));
    const twice = feedPage(evil.url, 'duplicate-ids', [{ uuid: uuidFrom('dup/1') }, { uuid: uuidFrom('dup/2') }]);
    const [firstId] = /tag:atomfeed\.ict4h\.org:[0-9a-f-]+/.exec(twice)!;
    hostile('duplicate-ids', 'two entries with one id', /^FeedParseError: entries 1 and 2 have the same id/,
      twice.replace(/(<entry>[\s\S]*?<entry>\s*<id>)[^<]*/, `$1${firstId}`));
    hostile('loop-self', "a page whose next-archive is itself", /^FeedLoopError: feed .*\/loop-self\/recent: next-archive leads back to .*\/loop-self\/1$/,
      valid('loop-self', { page: 1, newestPage: 2 }).replace(at('loop-self', 2), at('loop-self', 1)));
    hostile('loop-two', 'two pages whose next-archive links go round', /^FeedLoopError: .*next-archive leads back to .*\/loop-two\/1$/,
      valid('loop-two', { page: 1, newestPage: 3 }));
    evil.page('loop-two', 2, feedPage(evil.url, 'loop-two', [{ uuid: uuidFrom('loop-two/2') }], { page: 2, newestPage: 3 }).replace(at('loop-two', 3), at('loop-two', 1)));
    hostile('next-offsite', 'next-archive to another host', /^ForbiddenLinkError: refusing to follow http:\/\/127\.0\.0\.2:\d+\/openmrs\/ws\/atomfeed\/next-offsite\/2/,
      valid('next-offsite', { page: 1, newestPage: 2 }).replace(at('next-offsite', 2), `${trap.url}${FEED_PATH}/next-offsite/2`));
    hostile('redirect', 'a redirect to another host', /^HttpStatusError: GET .*\/redirect\/1 answered 302$/,
      { status: 302, headers: { location: `${trap.url}${FEED_PATH}/redirect/1` }, body: '' });
    hostile('trickle', 'a body sent a byte at a time, never ending', /^ResponseTimeoutError: GET .*\/trickle\/1: no complete answer within 12000 ms$/,
      { body: tricklingBody(100) });
    const longId = 'tag:atomfeed.ict4h.org:' + 'x'.repeat(300);
    hostile('long-id', 'an entry id longer than a marker holds', /^FeedParseError: entry 1 has an id longer than 255 characters/,
      valid('long-id').replace(/(<entry>\s*<id>)[^<]*/, `$1${longId}`));
    hostile('long-next', 'a next-archive URL longer than a marker holds', /^FeedParseError: the next-archive link is longer than 512 characters/,
      valid('long-next', { page: 1, newestPage: 2 }).replace(at('long-next', 2), `${at('long-next', 2)}?${'p'.repeat(600)}`));

    sub = atomsync([
      'subscribe', '--db', hq.url, '--node-id', 'hq', '--redis', REDIS, '--queue', queue,
      '--poll-ms', '200', '--timeout-ms', '1500', '--max-attempts', '1',
      '--feed', goodFeed(), ...cases.flatMap((c) => ['--feed', evil.feedUrl(c.name)]),
    ]);
    let pending: string[] = [];
    await eventually(async () => {
      pending = [];
      for (const c of cases) if (!(await marker(evil.feedKey(c.name)))?.last_error) pending.push(c.name);
      if (!(await goodCaughtUp())) pending.push('the good feed');
      return pending.length === 0;
    }, 60_000, 'every hostile feed to record an error and the good one to catch up').catch((err) => {
      throw new Error(`${err.message}; still waiting for ${pending.join(', ')}\n${sub.output().slice(-5000)}`);
    });
  });

  /** The clinic's relay has published everything, and HQ's marker stands at its last event. */
  async function goodCaughtUp(): Promise<boolean> {
    if ((await count(clinic, 'SELECT COUNT(*) AS n FROM atomsync_outbox')) > 0) return false;
    const newest = await count(clinic, 'SELECT COALESCE(MAX(seq), 0) AS n FROM atomsync_event');
    return newest > 0 && Number((await marker(goodKey()))?.last_position ?? -1) === newest;
  }

  after(async () => {
    await sub?.stop('SIGKILL');
    killAll();
    await Promise.all([evil.stop(), trap.stop()]);
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`bull:${queue}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await Promise.all([clinic, hq].map((d) => d?.drop()));
  });

  test('each hostile feed is parked with an error that says what is wrong, and nothing of it lands', async () => {
    for (const c of cases) {
      const m = await marker(evil.feedKey(c.name));
      assert.match(m.last_error ?? '', c.error, `${c.name} (${c.what})`);
      assert.equal(Number(m.last_position), 0, `${c.name}: the marker has not moved`);
    }
    assert.equal(await count(hq, `SELECT COUNT(*) AS n FROM location WHERE name LIKE 'evil-%'`), 0);
    assert.deepEqual(evil.requestsFor('/openmrs/ws/rest'), [], 'no resource of a hostile feed was even fetched');
    assert.equal(await count(hq, 'SELECT COUNT(*) AS n FROM atomsync_inbox'), 0);
  });

  test('nothing was fetched from another host: not the next-archive, not the redirect, not the external entity', () => {
    assert.deepEqual(trap.requests, []);
  });

  test('the 100 MB body was not read to its end', () => {
    assert.ok(huge.largest() > 0, 'it was asked for');
    assert.ok(huge.largest() < 20 * 1024 * 1024, `${huge.largest()} bytes were generated for one request`);
  });

  test('the good clinic converged: verify finds HQ identical to it', async () => {
    const v = await run(['verify', '--source', clinic.url, '--target', hq.url]);
    assert.equal(v.code, 0, v.out);
  });

  test('the subscriber keeps running: a new change at the clinic arrives, and SIGTERM ends it cleanly', async () => {
    assert.equal(sub.child.exitCode, null, 'still running');
    await clinic.pool.query(insertLocationSql, ['after-the-storm']);
    await eventually(async () => (await count(hq, `SELECT COUNT(*) AS n FROM location WHERE name = 'after-the-storm'`)) === 1, 30_000, 'the new location at HQ');
    // A pass ends before the process does, so a request still trickling in can hold it up to its deadline.
    const started = Date.now();
    assert.equal(await sub.stop('SIGTERM'), 0, sub.output());
    assert.ok(Date.now() - started < 20_000, `stopped in ${Date.now() - started} ms`);
  });

  test('--once brings the good feed up to date, records the bad one in its marker too, and exits 1', async () => {
    await hq.pool.query('UPDATE atomsync_marker SET last_error = NULL');
    await clinic.pool.query(insertLocationSql, ['once-more']);
    await eventually(async () => (await count(clinic, 'SELECT COUNT(*) AS n FROM atomsync_outbox')) === 0, 10_000, 'the relay');
    const r = await run(['subscribe', '--once', '--db', hq.url, '--node-id', 'hq', '--feed', goodFeed(), '--feed', evil.feedUrl('not-xml')]);
    // A feed that cannot be read fails the run (a cron job should hear of it), but only after
    // every other feed was brought up to date and the error was recorded where people look.
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /some feeds could not be read:\n +http:\S+\/not-xml\/recent: not XML/, 'the output names the feed and the problem');
    assert.equal(await count(hq, `SELECT COUNT(*) AS n FROM location WHERE name = 'once-more'`), 1);
    assert.match((await marker(evil.feedKey('not-xml'))).last_error ?? '', /^FeedParseError: not XML/);
    assert.equal((await marker(goodKey())).last_error, null);
  });
});

describe('a response that never ends', () => {
  test('is cut off after eight timeouts with a clear error, and not retried on the spot', async () => {
    const evil = new EvilPublisher();
    await evil.start();
    evil.page('slow', 1, { body: tricklingBody(20) });
    const http = new HttpClient({ headersTimeoutMs: 100, bodyTimeoutMs: 100 }, silentLogger);
    try {
      const started = Date.now();
      const url = `${evil.url}${FEED_PATH}/slow/1`;
      await assert.rejects(
        http.get(url, { authorization: `Basic ${Buffer.from('hq:evil-secret').toString('base64')}`, accept: ATOM_MEDIA_TYPE, maxBytes: MAX_FEED_BYTES }),
        (err: Error) => err instanceof FetchError && err.name === 'ResponseTimeoutError' && /no complete answer within 800 ms/.test(err.message),
      );
      assert.ok(Date.now() - started < 2_000, `gave up after ${Date.now() - started} ms`);
      assert.equal(evil.requestsFor(FEED_PATH).length, 1, 'asked once');
    } finally {
      await http.close();
      await evil.stop();
    }
  });

});
