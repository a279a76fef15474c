// Hostile requests against the publisher's HTTP application, sent byte for byte as
// written (node:http, no URL normalisation): guessing passwords, paths that try to
// leave the feed space, malformed page numbers, oversized requests and headers.
// publisher-http.test.ts covers the plain 401s, the simpler bad pages and paths;
// security-auth.test.ts the brake on guessing in depth; this file covers the rest.
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { EventStore } from '../publisher/event-store.ts';
import { createPublisherApp } from '../publisher/server.ts';
import type { AuthOptions } from '../publisher/auth.ts';
import { LoginBrake } from '../shared/web/login-brake.ts';
import { FEED_PATH, REST_PATH } from '../shared/protocol.ts';
import { silentLogger } from '../shared/logger.ts';
import { migrate, readMeta } from '../shared/schema/migrate.ts';
import { dbToIso } from '../shared/time.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic } from './helpers/http.ts';

const GOOD = basic('hq', 's3cret');
const FREE_FAILURES = 5;
const DELAY_MS = 300;
/** One failure forgotten per this long. */
const DRAIN_MS = 250;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends `path` exactly as given, from `from` (a local address), with these headers. */
function send(port: number, path: string, headers: Record<string, string> = {}, o: { from?: string; method?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers, localAddress: o.from, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A clear JSON error, and nothing of the server's insides. */
function assertCleanError(a: Answer, what: string): void {
  assert.doesNotMatch(a.body, /at \w+ \(|node_modules|\.ts:\d+|Error: /, `${what}: no stack trace`);
  if (a.body !== '') assert.equal(typeof JSON.parse(a.body).error.message, 'string', `${what}: ${a.body.slice(0, 200)}`);
}

describe('hostile requests to the publisher', () => {
  let db: TestDb;
  let server: Server;
  let port: number;
  const brake = new LoginBrake({ freeFailures: FREE_FAILURES, baseDelayMs: DELAY_MS, maxDelayMs: DELAY_MS, drainMs: DRAIN_MS });
  const feed = (page: string) => `${FEED_PATH}/all/${page}`;

  before(async () => {
    db = await freshDatabase('hostreq');
    await migrate(db.pool, 'field-a');
    const meta = await readMeta(db.pool);
    const auth: AuthOptions = { users: new Map([['hq', 's3cret']]), brake };
    const app = createPublisherApp({
      pool: db.pool, store: new EventStore(db.pool), log: silentLogger, nodeId: 'field-a', nodeUuid: meta.node_uuid,
      emptyUpdated: dbToIso(meta.created_at), pageSize: 50, auth,
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await db.drop();
  });

  test('guessing is slowed, never a wall: failures past the free ones are held; the right password from the same address gets in at once; the count drains', async () => {
    for (let i = 0; i < FREE_FAILURES; i++) assert.equal((await send(port, feed('recent'), { authorization: basic('hq', `guess${i}`) })).status, 401);
    let t = performance.now();
    const held = await send(port, feed('recent'), { authorization: basic('hq', 'one more') });
    assert.equal(held.status, 401, 'a wrong password is still a 401, only later');
    assert.ok(performance.now() - t >= DELAY_MS - 10, `held ${Math.round(performance.now() - t)} ms`);
    assert.match(held.headers['www-authenticate'] ?? '', /^Basic realm="atomsync"/);
    assertCleanError(held, 'held 401');
    t = performance.now();
    assert.equal((await send(port, feed('recent'), { authorization: GOOD })).status, 200, 'the right password is not refused for the address\'s failures');
    assert.ok(performance.now() - t < DELAY_MS / 2, `nor held: ${Math.round(performance.now() - t)} ms`);
    assert.equal((await send(port, feed('recent'), { authorization: GOOD }, { from: '127.0.0.2' })).status, 200, 'another address gets in');
    await new Promise((r) => setTimeout(r, (FREE_FAILURES + 1) * DRAIN_MS + 100));
    t = performance.now();
    assert.equal((await send(port, feed('recent'), { authorization: basic('hq', 'later') })).status, 401);
    assert.ok(performance.now() - t < DELAY_MS / 2, 'the count drained: answered at once again');
  });

  test('requests without credentials are refused but do not count as guesses', async () => {
    for (let i = 0; i < FREE_FAILURES * 3; i++) assert.equal((await send(port, feed('recent'), {}, { from: '127.0.0.3' })).status, 401);
    assert.equal(brake.levels(null, '127.0.0.3').address, 0);
    const t = performance.now();
    assert.equal((await send(port, feed('recent'), { authorization: basic('hq', 'first guess') }, { from: '127.0.0.3' })).status, 401);
    assert.ok(performance.now() - t < DELAY_MS / 2, 'the first real guess is answered at once');
    assert.equal((await send(port, feed('recent'), { authorization: GOOD }, { from: '127.0.0.3' })).status, 200);
  });

  test('malformed Authorization headers are a plain 401', async () => {
    const huge = Buffer.from(`hq:${'x'.repeat(6000)}`).toString('base64');
    const headers = ['Basic', 'Basic !!!!', `Basic ${Buffer.from('no colon').toString('base64')}`, `Basic ${huge}`, 'Bearer abc', `Digest ${GOOD.slice(6)}`];
    for (const [i, authorization] of headers.entries()) {
      // Each a wrong guess: from addresses of their own, so none is refused for the others.
      const a = await send(port, feed('recent'), { authorization }, { from: `127.0.0.${10 + i}` });
      assert.equal(a.status, 401, authorization.slice(0, 20));
      assertCleanError(a, authorization.slice(0, 20));
    }
    assert.equal((await send(port, feed('recent'), { authorization: `basic ${GOOD.slice(6)}` })).status, 200, 'the scheme is case-insensitive');
  });

  test('paths that try to leave the feed space are 400 or 404, never a file or a stack trace', async () => {
    const paths = [
      '/openmrs/ws/atomfeed/../../../etc/passwd',
      `${FEED_PATH}/%2e%2e/%2e%2e`,
      `${FEED_PATH}/all/%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
      '//etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      `${FEED_PATH}/all/recent/../../../../etc/passwd`,
      `${FEED_PATH}/all/..\\..\\..\\etc\\passwd`,
      '/openmrs\\ws\\atomfeed\\all\\recent',
      `${FEED_PATH}/all/1%00`,
      `${FEED_PATH}/all%00/1`,
      `${REST_PATH}/location/..%2f..%2f..%2fetc%2fpasswd`,
      `${REST_PATH}/location/..%5c..%5cetc%5cpasswd`,
      `${REST_PATH}/..%2f..%2fetc/passwd`,
      `${FEED_PATH}/%ff%fe/1`,
      '/metrics/../../etc/passwd',
    ];
    for (const path of paths) {
      const a = await send(port, path, { authorization: GOOD });
      assert.ok(a.status === 400 || a.status === 404, `${path} -> ${a.status} ${a.body.slice(0, 200)}`);
      assert.doesNotMatch(a.body, /root:|\[boot loader\]/, `${path}: no file content`);
      assertCleanError(a, path);
    }
  });

  test('malformed page numbers are 400', async () => {
    const pages = ['1e3', '0x10', '%201', '1%20', 'recent%20', '%20recent', 'RECENT', '01', '1.0', '+1', '-0', 'Infinity', 'NaN',
      '%EF%BC%91', '%D9%A1', '1%0A', '9'.repeat(400), '1,2', '1;2', '%31'.repeat(20)];
    for (const p of pages) {
      const a = await send(port, feed(p), { authorization: GOOD });
      assert.equal(a.status, 400, `page ${p} -> ${a.status} ${a.body.slice(0, 200)}`);
      assertCleanError(a, p);
    }
  });

  test('a 100 KB query string, path or header is refused (431) and the server answers the next request', async () => {
    const big = 'a'.repeat(100 * 1024);
    const asked = [
      await send(port, `${feed('recent')}?q=${big}`, { authorization: GOOD }),
      await send(port, `${FEED_PATH}/${big}/1`, { authorization: GOOD }),
      await send(port, feed('recent'), { authorization: GOOD, 'x-padding': big }),
    ];
    for (const a of asked) assert.ok([400, 414, 431].includes(a.status), `${a.status} ${a.body.slice(0, 100)}`);
    assert.equal((await send(port, feed('recent'), { authorization: GOOD })).status, 200, 'still serving');
  });

  test('a list request with far too many or bogus uuids is a 400, not a huge query', async () => {
    const many = Array.from({ length: 300 }, () => crypto.randomUUID()).join(',');
    const tooMany = await send(port, `${REST_PATH}/location?uuids=${many}`, { authorization: GOOD });
    assert.equal(tooMany.status, 400, tooMany.body);
    const injected = await send(port, `${REST_PATH}/location?uuids=${encodeURIComponent(`x') OR 1=1 --`)}`, { authorization: GOOD });
    assert.equal(injected.status, 400, injected.body);
    assertCleanError(injected, 'injected uuids');
  });

  test('a Host header that is not a host name is a 400, not a link in a page', async () => {
    for (const host of ['evil"><script>alert(1)</script>', 'a b', 'example.com/path?x']) {
      const a = await send(port, feed('recent'), { authorization: GOOD, host });
      assert.equal(a.status, 400, `${host} -> ${a.status}`);
      assert.ok(!a.body.includes('<script>'), 'not echoed');
    }
  });

  test('other methods are not served', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const a = await send(port, feed('recent'), { authorization: GOOD, 'content-length': '0' }, { method });
      assert.ok(a.status === 404 || a.status === 405, `${method} -> ${a.status}`);
      assertCleanError(a, method);
    }
  });
});
