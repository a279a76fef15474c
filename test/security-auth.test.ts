// Issue 14, authentication and rights: the brake on guessing never refuses or slows the right
// password, slows guessing per user name and per address, stays bounded in memory without
// forgetting the worst offenders; each user reads only what --user-rights gives it; and a
// subscriber's position is recorded under the user that authenticated, not under a header.
// Real HTTP servers on 127.0.0.1 (in process, and real `atomsync publish` processes), the real
// MariaDB. Requests go out with node:http on a new connection each (the hardest case for a
// client: nothing is kept from one request to the next), from chosen addresses of 127/8.
import { RESOURCE_NAMES } from '../shared/resources.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { LoginBrake, addressKey } from '../shared/web/login-brake.ts';
import type { BrakeOptions } from '../shared/web/login-brake.ts';
import { EventStore } from '../publisher/event-store.ts';
import { createPublisherApp } from '../publisher/server.ts';
import { SESSION_PATH } from '../publisher/session-routes.ts';
import { FEED_PATH, REST_PATH, SUBSCRIBER_HEADER } from '../shared/protocol.ts';
import { queryRows } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { migrate, readMeta } from '../shared/schema/migrate.ts';
import { seedNode } from '../tools/seed/index.ts';
import { dbToIso } from '../shared/time.ts';
import { createStatusApp } from '../subscriber/status-server.ts';
import type { StatusReport } from '../subscriber/status.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic } from './helpers/http.ts';
import { killAll, run, startPublisher } from './helpers/processes.ts';
import { drainOutbox } from './helpers/relay.ts';

const MINUTE = 60_000;
const FEED = `${FEED_PATH}/patient/recent`;
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
/** The longest a poll with the right password may take while guessers storm the same server. */
const HQ_BOUND_MS = 250;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** From sending the request to the end of the answer. */
  ms: number;
}

/** One GET (or `method`) on a new connection from `from`, headers exactly as given. */
function send(base: string, path: string, o: { headers?: Record<string, string>; from?: string; method?: string } = {}): Promise<Answer> {
  const url = new URL(base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: Number(url.port), path, method: o.method ?? 'GET', headers: o.headers ?? {}, localAddress: o.from, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wrong = (name: string) => ({ authorization: basic(name, `guess-${randomUUID()}`) });

describe('the brake on guessing (in process)', () => {
  let db: TestDb;
  const servers: Server[] = [];
  const HQ = { authorization: basic('hq', 'hq-secret') };

  /** A publisher app of its own (so counts do not carry over between tests) with this brake. */
  const serve = async (brake: LoginBrake): Promise<string> => {
    const meta = await readMeta(db.pool);
    const app = createPublisherApp({
      pool: db.pool, store: new EventStore(db.pool), log: silentLogger, nodeId: 'field-a', nodeUuid: meta.node_uuid,
      emptyUpdated: dbToIso(meta.created_at), pageSize: 50,
      auth: { users: new Map([['hq', 'hq-secret'], ['erp', 'erp-secret']]), brake },
    });
    const server = createServer(app);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  /** Fast numbers, so a test takes seconds: 5 free failures, then 100, 200, 400 ms at most; nothing forgotten meanwhile. */
  const fast = (o: BrakeOptions = {}) => new LoginBrake({ freeFailures: 5, baseDelayMs: 100, maxDelayMs: 400, drainMs: 10 * MINUTE, maxLevel: 30, ...o });

  before(async () => {
    db = await freshDatabase('secauth');
    await migrate(db.pool, 'field-a');
    await seedNode(db.pool, { patients: 2, seed: 'security' });
    await drainOutbox(db.pool);
  });
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    await db.drop();
  });

  test('distributed guessing at one name is slowed by the name\'s count, though each address stays within its free failures', async () => {
    const brake = fast();
    const base = await serve(brake);
    const answers: Answer[] = [];
    const addresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
    const started = performance.now();
    // Five addresses, five guesses each, one after another as a guessing tool's threads send them.
    await Promise.all(
      addresses.map(async (from) => {
        for (let i = 0; i < 5; i++) answers.push(await send(base, FEED, { from, headers: wrong('erp') }));
      }),
    );
    const elapsed = performance.now() - started;
    assert.ok(answers.every((a) => a.status === 401), answers.map((a) => a.status).join(' '));
    for (const from of addresses) assert.equal(Math.ceil(brake.levels(null, from).address), 5, `${from} is within its free failures`);
    assert.equal(Math.ceil(brake.levels('erp', '127.0.0.2').name), 25, 'every guess counted against the name');
    // Failures 6 to 25 of the name are held: 100 ms, 200 ms, then 400 ms each.
    const held = answers.filter((a) => a.ms >= 95).length;
    const atMost = answers.filter((a) => a.ms >= 395).length;
    assert.ok(held >= 20, `${held} of 25 answers held (${answers.map((a) => Math.round(a.ms)).join(' ')})`);
    assert.ok(atMost >= 15, `${atMost} answers held the longest delay`);
    assert.ok(elapsed >= 1500, `25 guesses from 5 addresses took ${Math.round(elapsed)} ms`);

    // Forty guesses at once from one address: each answer is held on its own, so sending them
    // together gains nothing over sending them in turn.
    const burst = await Promise.all(Array.from({ length: 40 }, () => send(base, FEED, { from: '127.0.0.20', headers: wrong('burst') })));
    assert.ok(burst.every((a) => a.status === 401));
    assert.ok(burst.filter((a) => a.ms < 95).length <= 5, `answered at once: ${burst.filter((a) => a.ms < 95).length}`);

    // An unknown name is counted as a known one is (each guess from an address of its own, so only
    // the name's count can slow them): the answers do not tell which names exist, and probing is not free.
    const unknown: number[] = [];
    const known: number[] = [];
    for (let i = 0; i < 7; i++) unknown.push((await send(base, FEED, { from: `127.0.0.${21 + i}`, headers: wrong('nobody-here') })).ms);
    for (let i = 0; i < 7; i++) known.push((await send(base, FEED, { from: `127.0.0.${31 + i}`, headers: wrong('hq') })).ms);
    for (const ms of [unknown, known]) {
      assert.ok(ms.slice(0, 5).every((x) => x < 95) && ms[5] >= 95 && ms[6] >= 195, ms.map(Math.round).join(' '));
    }
  });

  test('a right password after many failures gets in at once, by Basic and at the session endpoint, and is never 429', async () => {
    const brake = fast();
    const base = await serve(brake);
    const from = '127.0.0.30';
    const failures: Answer[] = [];
    for (let i = 0; i < 10; i++) failures.push(await send(base, FEED, { from, headers: wrong('hq') }));
    assert.ok(failures.every((a) => a.status === 401));
    assert.ok(failures[9].ms >= 395, `the tenth failure was held ${Math.round(failures[9].ms)} ms`);

    const feed = await send(base, FEED, { from, headers: HQ });
    assert.equal(feed.status, 200);
    assert.ok(feed.ms < 95, `the right password answered in ${Math.round(feed.ms)} ms`);
    for (const method of ['GET', 'POST']) {
      const login = await send(base, SESSION_PATH, { from, method, headers: HQ });
      assert.equal(login.status, 200, `${method} ${login.body}`);
      assert.equal(JSON.parse(login.body).authenticated, true);
      assert.match(login.headers['set-cookie']?.[0] ?? '', /^JSESSIONID=[0-9A-F]{32};/);
      assert.ok(login.ms < 95, `${method} session login in ${Math.round(login.ms)} ms`);
    }
    // Failures at the session endpoint count as any other: the right password did not wipe the count,
    // or a guesser sharing the address with a working client would never be slowed.
    const again = await send(base, SESSION_PATH, { from, headers: wrong('hq') });
    assert.equal(again.status, 401);
    assert.equal(again.headers['set-cookie'], undefined);
    assert.ok(again.ms >= 395, `held ${Math.round(again.ms)} ms`);
    assert.equal(Math.ceil(brake.levels('hq', from).address), 11);
  });

  test('when the brake holds all the answers it may, a failure is 429 with Retry-After at once; the right password still gets in', async () => {
    const base = await serve(new LoginBrake({ freeFailures: 0, baseDelayMs: 1500, maxDelayMs: 1500, maxHeld: 3, drainMs: 10 * MINUTE }));
    const guesses = Array.from({ length: 5 }, (_, i) => send(base, FEED, { from: `127.0.0.${40 + i}`, headers: wrong(`name-${i}`) }));
    await sleep(300);
    const right = await send(base, FEED, { from: '127.0.0.40', headers: HQ });
    const answers = await Promise.all(guesses);
    assert.equal(right.status, 200);
    assert.ok(right.ms < 95, `${Math.round(right.ms)} ms`);
    const refused = answers.filter((a) => a.status === 429);
    assert.equal(answers.filter((a) => a.status === 401).length, 3, answers.map((a) => a.status).join(' '));
    assert.equal(refused.length, 2);
    for (const a of refused) {
      assert.equal(a.headers['retry-after'], '2');
      assert.equal(a.headers.connection, 'close');
      assert.ok(a.ms < 300, `${Math.round(a.ms)} ms`);
      assert.equal(JSON.parse(a.body).error.code, 'too_many_failures');
    }
  });

  test('memory is bounded: expired rows go first, then the least offending; the worst offender is remembered', async () => {
    let skew = 0;
    const brake = new LoginBrake({ freeFailures: 5, baseDelayMs: 20, maxDelayMs: 80, drainMs: MINUTE, maxTracked: 20, now: () => Date.now() + skew });
    const base = await serve(brake);
    for (let i = 0; i < 12; i++) assert.equal((await send(base, FEED, { from: '127.0.0.50', headers: wrong('hq') })).status, 401);
    // 200 names tried once each from 50 addresses: far more than the tables hold.
    for (let a = 1; a <= 50; a++) {
      for (let i = 0; i < 4; i++) await send(base, FEED, { from: `127.0.1.${a}`, headers: wrong(`probe-${a}-${i}`) });
    }
    assert.ok(brake.size.names <= 20 && brake.size.addresses <= 20, JSON.stringify(brake.size));
    const worst = brake.levels('hq', '127.0.0.50');
    assert.ok(worst.name >= 11.9 && worst.address >= 11.9, `the worst offenders kept: ${JSON.stringify(worst)}`);
    assert.equal(brake.levels('probe-1-0', '127.0.1.1').name, 0, 'one of the least offending forgotten');
    // A wrong guess at hq from an address never seen before is still held for the name's count.
    const fresh = await send(base, FEED, { from: '127.0.0.51', headers: wrong('hq') });
    assert.ok(fresh.ms >= 75, `held ${Math.round(fresh.ms)} ms`);

    // Five minutes on, the probes (1 failure each, addresses 4) have drained away; hq's 13 are down to 8.
    // The next new names fill the table, and making room forgets every drained row at once.
    skew += 5 * MINUTE;
    for (let i = 0; i < 3; i++) await send(base, FEED, { from: '127.0.2.1', headers: wrong(`probe-after-${i}`) });
    assert.ok(brake.size.names <= 4, `only hq and the new names remain: ${JSON.stringify(brake.size)}`);
    assert.ok(Math.abs(brake.levels('hq', '127.0.0.50').name - 8) < 0.1, JSON.stringify(brake.levels('hq', '127.0.0.50')));
  });
});

describe('the brake elsewhere', () => {
  test('addresses are counted as a host holds them: IPv4 as it is (also IPv4-mapped), IPv6 by its /64', () => {
    assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
    const one = addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    assert.equal(one, '2001:db8:1:2::/64');
    // Another address of the same /64 (written compressed, upper case, with leading zeros) is the same guesser.
    for (const same of ['2001:DB8:1:2::1', '2001:0db8:0001:0002:ffff::', '2001:db8:1:2:0:0:0:9']) assert.equal(addressKey(same), one, same);
    assert.notEqual(addressKey('2001:db8:1:3::1'), one, 'the next /64 is another host');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey(undefined), 'unknown');
  });

  test("the subscriber's status page (basicAuth, the default brake): the admin gets in at once through a storm at its name and address", async () => {
    const report = { feeds: [] } as unknown as StatusReport;
    const app = createStatusApp({
      users: new Map([['admin', 'admin-secret']]), csrfSecret: Buffer.alloc(32, 1), log: silentLogger,
      backend: { status: async () => report, retryDead: async () => [] },
    });
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // Six wrong passwords at once: five (BRAKE_DEFAULTS.freeFailures) answered at once, the sixth held 0.5 s.
      const storm = Array.from({ length: 6 }, () => send(base, '/', { from: '127.0.0.60', headers: { ...wrong('admin'), accept: 'application/json' } }).catch(() => null));
      await sleep(150);
      const right = await send(base, '/', { from: '127.0.0.60', headers: { authorization: basic('admin', 'admin-secret'), accept: 'application/json' } });
      assert.equal(right.status, 200);
      assert.ok(right.ms < 95, `the admin answered in ${Math.round(right.ms)} ms`);
      // A guess at the admin's name from an address never seen is held for the name's count.
      const elsewhere = await send(base, '/', { from: '127.0.0.61', headers: wrong('admin') });
      assert.equal(elsewhere.status, 401);
      assert.ok(elsewhere.ms >= 950, `held ${Math.round(elsewhere.ms)} ms (the name's 7th failure: 1 s)`);
      const answered = await Promise.all(storm);
      assert.deepEqual(answered.map((a) => a?.status), [401, 401, 401, 401, 401, 401]);
      assert.equal(answered.filter((a) => a !== null && a.ms >= 450).length, 1, 'one held 0.5 s');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('a real publisher under a guessing storm, with its default brake', () => {
  let db: TestDb;
  before(async () => {
    db = await freshDatabase('secstorm');
    await migrate(db.pool, 'field-a');
    await seedNode(db.pool, { patients: 2, seed: 'storm' });
    await drainOutbox(db.pool);
  });
  after(async () => {
    killAll();
    await db.drop();
  });

  test(`HQ polls every 100 ms through a storm at its name from its own address and five others: never refused, never over ${HQ_BOUND_MS} ms`, async () => {
    const pub = await startPublisher(db.url, { users: 'hq:hq-secret,erp:erp-secret' });
    const STORM_MS = 4000;
    const until = Date.now() + STORM_MS;
    const guesses: Answer[] = [];
    let cut = 0;
    const guesser = async (name: () => string, from: string) => {
      while (Date.now() < until) {
        try {
          guesses.push(await send(pub.url, FEED, { from, headers: wrong(name()) }));
        } catch {
          cut++; // the publisher stopped while this answer was held
          return;
        }
      }
    };
    const probe = () => `probe-${randomUUID()}`;
    const storm = [
      guesser(() => 'hq', '127.0.0.1'),
      guesser(() => 'hq', '127.0.0.1'),
      guesser(() => 'hq', '127.0.0.1'),
      ...['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'].map((from) => guesser(() => 'hq', from)),
      guesser(probe, '127.0.0.1'),
      guesser(probe, '127.0.0.1'),
      // and a hundred at once, as a tool with many threads sends them
      ...Array.from({ length: 100 }, () => send(pub.url, FEED, { from: '127.0.0.1', headers: wrong('hq') }).then((a) => void guesses.push(a), () => void cut++)),
    ];
    const polls: Answer[] = [];
    try {
      while (Date.now() < until) {
        const a = await send(pub.url, FEED, { from: '127.0.0.1', headers: { authorization: basic('hq', 'hq-secret'), [SUBSCRIBER_HEADER]: 'hq' } });
        polls.push(a);
        await sleep(Math.max(0, 100 - a.ms));
      }
    } finally {
      await pub.stop(); // ends the answers still held
      await Promise.all(storm);
    }
    const slowest = Math.max(...polls.map((p) => p.ms));
    assert.ok(polls.length >= 25, `${polls.length} polls`);
    assert.deepEqual([...new Set(polls.map((p) => p.status))], [200], 'every poll answered 200');
    assert.ok(slowest < HQ_BOUND_MS, `the slowest poll took ${Math.round(slowest)} ms`);
    // The storm itself: 110 guessers got few answers in 4 s, some held for seconds, none let in.
    assert.ok(guesses.every((g) => g.status === 401), [...new Set(guesses.map((g) => g.status))].join(' '));
    assert.ok(guesses.length < 80, `${guesses.length} guesses answered in ${STORM_MS} ms (${cut} still held at the end)`);
    assert.ok(Math.max(...guesses.map((g) => g.ms)) >= 2000, 'answers held for seconds');
    assert.ok(cut >= 90, `${cut} guesses were still held when the publisher stopped`);
    assert.doesNotMatch(pub.output(), /guess-|hq-secret|probe-/, 'no password or tried name in the log');
    assert.match(pub.output(), /failed logins from this address are being slowed/);
  });
});

describe('rights per reader, and positions bound to the user (a real publisher)', () => {
  let db: TestDb;
  let pub: Awaited<ReturnType<typeof startPublisher>>;
  const hq = { authorization: basic('hq', 'hq-secret') };
  const erp = { authorization: basic('erp', 'erp-secret') };
  const prom = { authorization: basic('prom', 'prom-secret') };
  let patientUuid: string;
  let locationUuid: string;

  before(async () => {
    db = await freshDatabase('secrights');
    await migrate(db.pool, 'field-a');
    await seedNode(db.pool, { patients: 3, seed: 'rights' });
    await drainOutbox(db.pool);
    [{ uuid: patientUuid }] = await queryRows<{ uuid: string }>(db.pool, 'SELECT pe.uuid FROM patient pa JOIN person pe ON pe.person_id = pa.patient_id LIMIT 1');
    [{ uuid: locationUuid }] = await queryRows<{ uuid: string }>(db.pool, 'SELECT uuid FROM location LIMIT 1');
    pub = await startPublisher(db.url, {
      users: 'hq:hq-secret,erp:erp-secret,prom:prom-secret',
      pageSize: 2,
      extra: ['--user-rights', 'erp=patient,encounter,obs', '--user-rights', 'prom=admin'],
    });
  });
  after(async () => {
    killAll();
    await db.drop();
  });

  const status = async (path: string, headers: Record<string, string>) => (await send(pub.url, path, { headers })).status;

  test('the ERP reads its feeds and resources (200) and nothing else (403), in Atom, JSON, lists and HTML', async () => {
    for (const path of [`${FEED_PATH}/patient/recent`, `${FEED_PATH}/encounter/recent`, `${FEED_PATH}/obs/recent`, `${FEED_PATH}/patient/1`,
      `${REST_PATH}/patient/${patientUuid}?v=full`, `${REST_PATH}/patient?v=sync&uuids=${patientUuid}`]) {
      assert.equal(await status(path, erp), 200, path);
      assert.equal(await status(path, { ...erp, accept: BROWSER }), 200, `${path} as HTML`);
    }
    for (const path of [`${FEED_PATH}/location/recent`, `${FEED_PATH}/location/1`, `${FEED_PATH}/all/recent`, `${FEED_PATH}/all/1`, `${FEED_PATH}/visit/recent`,
      `${REST_PATH}/location/${locationUuid}`, `${REST_PATH}/location?uuids=${locationUuid}`, `${REST_PATH}/concept?uuids=${locationUuid}`]) {
      const json = await send(pub.url, path, { headers: erp });
      assert.equal(json.status, 403, `${path}: ${json.body}`);
      assert.equal(JSON.parse(json.body).error.code, 'forbidden');
      const page = await send(pub.url, path, { headers: { ...erp, accept: BROWSER } });
      assert.equal(page.status, 403, `${path} as HTML`);
      assert.match(page.headers['content-type'] ?? '', /^text\/html/);
      assert.match(page.body, /<h1>403 · Not allowed<\/h1>/);
      assert.ok(!page.body.includes(locationUuid) || path.includes(locationUuid), 'nothing of the resource');
    }
    assert.equal(await status(`${FEED_PATH}/nothing/recent`, erp), 404, 'a feed that does not exist is still 404');
    // HQ, not named in --user-rights, reads everything, as every user did before rights existed.
    for (const path of [`${FEED_PATH}/all/recent`, `${FEED_PATH}/location/1`, `${REST_PATH}/location/${locationUuid}`, '/metrics', '/']) {
      assert.equal(await status(path, hq), 200, path);
    }
  });

  test('a reader without the admin right gets no /metrics and a root page of its own feeds and positions only', async () => {
    await send(pub.url, `${FEED_PATH}/patient/1`, { headers: { ...erp, [SUBSCRIBER_HEADER]: 'erp' } });
    await send(pub.url, `${FEED_PATH}/location/1`, { headers: { ...hq, [SUBSCRIBER_HEADER]: 'hq' } });
    const metrics = await send(pub.url, '/metrics', { headers: erp });
    assert.equal(metrics.status, 403);
    assert.doesNotMatch(metrics.body, /atomsync_/);
    for (const path of ['/', FEED_PATH]) {
      const root = await send(pub.url, path, { headers: { ...erp, accept: 'application/json' } });
      assert.equal(root.status, 200);
      const body = JSON.parse(root.body);
      assert.deepEqual(body.feeds.map((f: { category: string }) => f.category), ['patient', 'encounter', 'obs']);
      assert.deepEqual([...new Set(body.subscribers.map((s: { subscriber: string }) => s.subscriber))], ['erp']);
      const html = await send(pub.url, path, { headers: { ...erp, accept: BROWSER } });
      assert.doesNotMatch(html.body, /<strong>hq<\/strong>|>location</, 'no other subscriber, no other feed');
    }
    // The admin right alone: metrics and the whole root page, no feed.
    assert.equal(await status('/metrics', prom), 200);
    assert.equal(await status(`${FEED_PATH}/patient/recent`, prom), 403);
    const all = JSON.parse((await send(pub.url, '/', { headers: { ...prom, accept: 'application/json' } })).body);
    assert.equal(all.feeds.length, RESOURCE_NAMES.length + 1, 'every resource, and all');
    assert.deepEqual([...new Set(all.subscribers.map((s: { subscriber: string }) => s.subscriber))].sort(), ['erp', 'hq']);
  });

  test('a position is recorded under the user that authenticated: the ERP naming itself hq does not move hq\'s', async () => {
    // HQ has read page 1 of encounter (positions 1-2) and is stalled there; the ERP reads to the end, sending hq's name.
    await send(pub.url, `${FEED_PATH}/encounter/1`, { headers: { ...hq, [SUBSCRIBER_HEADER]: 'hq' } });
    const spoof = await send(pub.url, `${FEED_PATH}/encounter/recent`, { headers: { ...erp, [SUBSCRIBER_HEADER]: 'hq' } });
    assert.equal(spoof.status, 200);
    const root = JSON.parse((await send(pub.url, '/', { headers: { ...hq, accept: 'application/json' } })).body);
    const count = root.feeds.find((f: { category: string }) => f.category === 'encounter').events;
    assert.ok(count > 2, `${count} encounter events`);
    const rows = root.subscribers.filter((s: { feed: string }) => s.feed === 'encounter');
    const hqRow = rows.find((s: { subscriber: string }) => s.subscriber === 'hq');
    const erpRow = rows.find((s: { subscriber: string }) => s.subscriber === 'erp');
    assert.deepEqual([hqRow.position, hqRow.behind, hqRow.node], [2, count - 2, 'hq'], 'hq is still shown behind');
    assert.deepEqual([erpRow.position, erpRow.behind, erpRow.node], [count, 0, 'hq'], "the ERP's reading is its own row, the header only its label");
    const metrics = (await send(pub.url, '/metrics', { headers: hq })).body;
    assert.match(metrics, new RegExp(`atomsync_subscriber_lag_events\\{subscriber="hq",feed="encounter"\\} ${count - 2}\\n`));
  });

  test('--user-rights that names no user, or no right, stops publish with status 2', async () => {
    for (const [rights, message] of [
      ['erp=patient,bogus', /"bogus" is not a right/],
      ['nobody=patient', /names "nobody", which is not one of --users/],
      ['erp', /must be name=right/],
    ] as const) {
      const r = await run(['publish', '--db', db.url, '--port', '0', '--users', 'hq:x,erp:y', '--user-rights', rights], 20_000);
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, message);
    }
    // From the environment, space-separated like every repeatable option.
    const env = await run(['publish', '--db', db.url, '--port', '0', '--users', 'hq:x,erp:y'], 20_000, { ATOMSYNC_USER_RIGHTS: 'erp=patient hq=bogus' });
    assert.equal(env.code, 2, env.out);
    assert.match(env.out, /"bogus" is not a right/);
  });
});
