// OpenMRS-style session login on the publisher, as a stock Bahmni/atomfeed client does it:
// GET {REST_PATH}/session with HTTP Basic, then the JSESSIONID cookie alone on every feed and
// resource request. Against a real HTTP server and the real MariaDB; one test runs a real
// `atomsync publish` process. Requests are sent with node:http, headers exactly as written.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AuthOptions } from '../publisher/auth.ts';
import { LoginBrake } from '../shared/web/login-brake.ts';
import { EventStore } from '../publisher/event-store.ts';
import { createPublisherApp } from '../publisher/server.ts';
import type { PublisherAppOptions } from '../publisher/server.ts';
import { sessionIdsIn } from '../publisher/session-cookie.ts';
import { SESSION_PATH, userUuid } from '../publisher/session-routes.ts';
import { SESSION_DEFAULTS, SessionStore } from '../publisher/session-store.ts';
import { FEED_PATH, REST_PATH } from '../shared/protocol.ts';
import { queryRows } from '../shared/db.ts';
import { createLogger, silentLogger } from '../shared/logger.ts';
import { migrate, readMeta } from '../shared/schema/migrate.ts';
import { dbToIso } from '../shared/time.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic } from './helpers/http.ts';
import { eventually, killAll, startPublisher } from './helpers/processes.ts';
import { drainOutbox, insertLocationSql } from './helpers/relay.ts';

/** The brake here: 4 failures answered at once, then each held 300 ms. */
const FREE_FAILURES = 4;
const DELAY_MS = 300;
const MINUTE = 60_000;
/** What Bahmni's OpenMRSLoginAuthenticator (bahmni-java-utils web-clients) looks for in the first Set-Cookie. */
const BAHMNI_COOKIE_PATTERN = /\bJSESSIONID=([A-Z0-9]{32})/;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A local address of 127/8 to send from: the failed-login brake counts per address. */
  from?: string;
  tls?: { ca: Buffer };
}

function send(base: string, path: string, o: SendOptions = {}): Promise<Answer> {
  const url = new URL(base);
  const options = {
    host: url.hostname,
    port: Number(url.port),
    path,
    method: o.method ?? 'GET',
    headers: o.headers ?? {},
    localAddress: o.from,
    agent: false as const,
  };
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const req = o.tls ? httpsRequest({ ...options, ca: o.tls.ca }, onResponse) : request(options, onResponse);
    req.on('error', reject);
    req.end();
  });
}

/** Logs in as Bahmni's client does and returns the session id it would keep, checking the answer as it does. */
async function bahmniLogin(base: string, user: string, password: string, o: SendOptions = {}): Promise<{ id: string; answer: Answer }> {
  // Bahmni's atomfeed properties point openmrs.auth.uri at .../session?v=custom:(uuid)
  const answer = await send(base, `${SESSION_PATH}?v=custom:(uuid)`, { ...o, headers: { authorization: basic(user, password), ...o.headers } });
  assert.equal(answer.status, 200, answer.body);
  assert.notEqual(answer.status, 204, 'Bahmni reads 204 as "two-factor authentication is on"');
  assert.equal(JSON.parse(answer.body).authenticated, true);
  const setCookie = answer.headers['set-cookie'] ?? [];
  const m = BAHMNI_COOKIE_PATTERN.exec(setCookie[0] ?? '');
  assert.ok(m, `first Set-Cookie: ${setCookie[0]}`);
  return { id: m[1], answer };
}

/** The Cookie header as Bahmni's ClientCookies writes it: ` name=value ` with spaces around. */
const bahmniCookie = (id: string) => ({ cookie: ` JSESSIONID=${id} ` });
const atomAccept = { accept: 'application/atom+xml', 'user-agent': 'Mozilla' };

describe('session login on the publisher (in process)', () => {
  let db: TestDb;
  let server: Server;
  let base: string;
  let clock = Date.UTC(2026, 0, 5, 9, 0, 0);
  let locationUuid: string;
  let appOptions: PublisherAppOptions;
  const brake = new LoginBrake({ freeFailures: FREE_FAILURES, baseDelayMs: DELAY_MS, maxDelayMs: DELAY_MS, drainMs: 10 * MINUTE });
  const logLines: string[] = [];

  before(async () => {
    db = await freshDatabase('pubsess');
    await migrate(db.pool, 'field-a');
    await db.pool.query(insertLocationSql, ['session-clinic']);
    await drainOutbox(db.pool);
    [{ uuid: locationUuid }] = await queryRows<{ uuid: string }>(db.pool, `SELECT uuid FROM location WHERE name = 'session-clinic'`);
    const meta = await readMeta(db.pool);
    const auth: AuthOptions = { users: new Map([['hq', 's3cret'], ['erp', 'other:pass']]), brake };
    appOptions = {
      pool: db.pool, store: new EventStore(db.pool), nodeId: 'field-a', nodeUuid: meta.node_uuid,
      emptyUpdated: dbToIso(meta.created_at), pageSize: 50, auth, sessions: { now: () => clock },
      log: createLogger({ level: 'debug', write: (line) => logLines.push(line) }),
    };
    server = createServer(createPublisherApp(appOptions));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await db.drop();
  });

  test("a client that logs in as Bahmni's does reads the feed and a resource with the cookie alone", async () => {
    const { id, answer } = await bahmniLogin(base, 'hq', 's3cret');
    const body = JSON.parse(answer.body);
    assert.equal(body.sessionId, id, 'older Bahmni clients take the id from the body');
    assert.equal(body.user.username, 'hq');
    assert.equal(body.user.systemId, 'hq');

    const feed = await send(base, `${FEED_PATH}/all/recent`, { headers: { ...atomAccept, ...bahmniCookie(id) } });
    assert.equal(feed.status, 200, feed.body);
    assert.match(feed.headers['content-type'] ?? '', /^application\/atom\+xml/);
    assert.ok(feed.body.includes(`${REST_PATH}/location/${locationUuid}`), 'the entry for the location is on the page');

    const rep = await send(base, `${REST_PATH}/location/${locationUuid}?v=full`, { headers: { accept: 'application/json', ...bahmniCookie(id) } });
    assert.equal(rep.status, 200, rep.body);
    assert.equal(JSON.parse(rep.body).display, 'session-clinic');
    const list = await send(base, `${REST_PATH}/location?v=sync&uuids=${locationUuid}`, { headers: { cookie: `other=1; JSESSIONID=${id}` } });
    assert.equal(list.status, 200, list.body);
    assert.equal(JSON.parse(list.body).results[0].uuid, locationUuid);

    // The same endpoint with the cookie alone shows that session, and sets no new cookie.
    const again = await send(base, SESSION_PATH, { headers: bahmniCookie(id) });
    assert.equal(again.status, 200);
    assert.equal(again.headers['set-cookie'], undefined);
    assert.equal(JSON.parse(again.body).sessionId, id);
    assert.equal(JSON.parse(again.body).user.username, 'hq');
    // POST logs in too (OpenMRS answers both), with a session of its own.
    const posted = await send(base, SESSION_PATH, { method: 'POST', headers: { authorization: basic('erp', 'other:pass'), 'content-length': '0' } });
    assert.equal(posted.status, 200, posted.body);
    const postedId = BAHMNI_COOKIE_PATTERN.exec(posted.headers['set-cookie']?.[0] ?? '')?.[1];
    assert.ok(postedId && postedId !== id);
    assert.equal(JSON.parse(posted.body).user.username, 'erp');
  });

  test('the session cookie and answer: HttpOnly, Path=/openmrs, SameSite=Lax, an expiry, no-store; OpenMRS fields', async () => {
    const { id, answer } = await bahmniLogin(base, 'hq', 's3cret');
    const setCookie = answer.headers['set-cookie']!;
    assert.equal(setCookie.length, 1);
    const attrs = setCookie[0].split(';').map((a) => a.trim());
    assert.equal(attrs[0], `JSESSIONID=${id}`);
    assert.ok(attrs.includes('HttpOnly'), setCookie[0]);
    assert.ok(attrs.includes('Path=/openmrs'), setCookie[0]);
    assert.ok(attrs.includes('SameSite=Lax'), setCookie[0]);
    assert.ok(attrs.includes(`Max-Age=${SESSION_DEFAULTS.maxLifetimeMs / 1000}`), setCookie[0]);
    assert.ok(attrs.includes(`Expires=${new Date(clock + SESSION_DEFAULTS.maxLifetimeMs).toUTCString()}`), setCookie[0]);
    assert.ok(!attrs.includes('Secure'), 'not over plain HTTP');
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(answer.body), {
      sessionId: id,
      authenticated: true,
      user: { uuid: userUuid(appOptions.nodeUuid, 'hq'), display: 'hq', username: 'hq', systemId: 'hq', userProperties: {}, person: null, privileges: [], roles: [] },
      locale: 'en',
      allowedLocales: ['en'],
      sessionLocation: null,
      currentProvider: null,
    });
    assert.match(userUuid(appOptions.nodeUuid, 'hq'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(userUuid(appOptions.nodeUuid, 'hq'), userUuid(appOptions.nodeUuid, 'erp'));
  });

  test('without credentials the endpoint says "not authenticated" and nothing else', async () => {
    const a = await send(base, SESSION_PATH, { headers: { accept: 'application/json' } });
    assert.equal(a.status, 200);
    assert.deepEqual(JSON.parse(a.body), { authenticated: false, locale: 'en', allowedLocales: ['en'] });
    assert.equal(a.headers['set-cookie'], undefined);
    assert.equal(a.headers['cache-control'], 'no-store');
    // An unknown cookie is the same as none.
    const b = await send(base, SESSION_PATH, { headers: { cookie: `JSESSIONID=${'A'.repeat(32)}` } });
    assert.deepEqual([b.status, b.body], [a.status, a.body]);
  });

  test('a wrong password: 401, no cookie, counted with Basic failures in one count; the right password still logs in at once', async () => {
    /** One wrong password; how long its answer took. */
    const failure = async (path: string, from: string, method = 'GET') => {
      const t = performance.now();
      const a = await send(base, path, { method, from, headers: { authorization: basic('hq', `guess-${performance.now()}`) } });
      assert.equal(a.status, 401, a.body);
      assert.match(a.headers['www-authenticate'] ?? '', /^Basic realm="atomsync"/);
      assert.equal(a.headers['set-cookie'], undefined, 'no cookie for a wrong password');
      if (path === SESSION_PATH) assert.equal(a.headers['cache-control'], 'no-store');
      return performance.now() - t;
    };
    // Failures at the session endpoint (GET and POST) and at a feed add up in one count.
    const paths = [SESSION_PATH, `${FEED_PATH}/all/recent`];
    for (let i = 0; i < FREE_FAILURES; i++) {
      assert.ok((await failure(paths[i % 2], '127.0.0.4', i === 2 ? 'POST' : 'GET')) < DELAY_MS / 2, 'a free failure is answered at once');
    }
    assert.ok((await failure(SESSION_PATH, '127.0.0.4', 'POST')) >= DELAY_MS - 10, 'past the free failures the answer is held');
    assert.ok((await failure(`${FEED_PATH}/all/recent`, '127.0.0.4')) >= DELAY_MS - 10);
    assert.equal(Math.ceil(brake.levels('hq', '127.0.0.4').address), FREE_FAILURES + 2);
    // The right password from that address opens a session at once: never refused, never held.
    for (const method of ['GET', 'POST']) {
      const t = performance.now();
      const { answer } = await bahmniLogin(base, 'hq', 's3cret', { from: '127.0.0.4', method });
      assert.equal(answer.headers['cache-control'], 'no-store');
      assert.ok(performance.now() - t < DELAY_MS / 2, `${method} login in ${Math.round(performance.now() - t)} ms`);
    }
    // A wrong password beside a live cookie is still refused: the password sent decides.
    const { id } = await bahmniLogin(base, 'hq', 's3cret', { from: '127.0.0.5' });
    const both = await send(base, `${FEED_PATH}/all/recent`, { from: '127.0.0.5', headers: { authorization: basic('hq', 'wrong'), ...bahmniCookie(id) } });
    assert.equal(both.status, 401);
  });

  test('DELETE ends the session at once and clears the cookie', async () => {
    const { id } = await bahmniLogin(base, 'hq', 's3cret');
    assert.equal((await send(base, `${FEED_PATH}/all/recent`, { headers: bahmniCookie(id) })).status, 200);
    const del = await send(base, SESSION_PATH, { method: 'DELETE', headers: bahmniCookie(id) });
    assert.equal(del.status, 204);
    assert.equal(del.body, '');
    assert.equal(del.headers['cache-control'], 'no-store');
    const cleared = del.headers['set-cookie']?.[0] ?? '';
    assert.match(cleared, /^JSESSIONID=;/);
    assert.match(cleared, /; Max-Age=0;/);
    assert.match(cleared, /; Path=\/openmrs;/);
    const after = await send(base, `${FEED_PATH}/all/recent`, { headers: bahmniCookie(id) });
    assert.equal(after.status, 401);
    assert.match(after.headers['www-authenticate'] ?? '', /^Basic realm="atomsync"/);
    assert.equal((await send(base, `${REST_PATH}/location/${locationUuid}`, { headers: bahmniCookie(id) })).status, 401);
    assert.equal(JSON.parse((await send(base, SESSION_PATH, { headers: bahmniCookie(id) })).body).authenticated, false);
    // Ending a session that is not there answers the same.
    const again = await send(base, SESSION_PATH, { method: 'DELETE', headers: bahmniCookie(id) });
    assert.equal(again.status, 204);
    assert.equal((await send(base, SESSION_PATH, { method: 'DELETE' })).status, 204);
  });

  test('a session unused for the idle timeout ends; a busy one ends at its lifetime', async () => {
    const feed = (id: string) => send(base, `${FEED_PATH}/all/recent`, { headers: bahmniCookie(id) });
    const { id } = await bahmniLogin(base, 'hq', 's3cret');
    clock += 29 * MINUTE;
    assert.equal((await feed(id)).status, 200, 'used after 29 minutes');
    clock += 29 * MINUTE;
    assert.equal((await feed(id)).status, 200, 'idle time counts from the last use');
    clock += 30 * MINUTE;
    assert.equal((await feed(id)).status, 401, 'unused for 30 minutes');
    clock += 1;
    assert.equal((await feed(id)).status, 401, 'and it stays ended');

    const busy = (await bahmniLogin(base, 'hq', 's3cret')).id;
    const steps = SESSION_DEFAULTS.maxLifetimeMs / (20 * MINUTE);
    for (let i = 1; i < steps; i++) {
      clock += 20 * MINUTE;
      assert.equal((await feed(busy)).status, 200, `after ${i * 20} minutes`);
    }
    clock += 20 * MINUTE;
    assert.equal((await feed(busy)).status, 401, 'at the end of its lifetime, however busy');
  });

  test('a forged, random or malformed cookie is a 401 like no credentials, and is not counted as a guess', async () => {
    const { id } = await bahmniLogin(base, 'hq', 's3cret');
    const none = await send(base, `${FEED_PATH}/all/recent`, { from: '127.0.0.7' });
    assert.equal(none.status, 401);
    const forged = [
      `JSESSIONID=${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex').toUpperCase()}`,
      `JSESSIONID=${id.toLowerCase()}`,
      `JSESSIONID=${id.slice(0, 31)}`,
      `JSESSIONID=${id}0`,
      `JSESSIONID=${id.slice(0, 31)}G`,
      `jsessionid=${id}`,
      `XJSESSIONID=${id}`,
      'JSESSIONID=',
      'JSESSIONID',
      `JSESSIONID=${'Z'.repeat(6000)}`,
    ];
    for (let round = 0; round < 2; round++) {
      for (const cookie of forged) {
        const a = await send(base, `${FEED_PATH}/all/recent`, { from: '127.0.0.7', headers: { cookie } });
        assert.equal(a.status, 401, cookie.slice(0, 50));
        assert.equal(a.body, none.body, 'the same answer as without credentials');
        assert.equal(a.headers['www-authenticate'], none.headers['www-authenticate']);
      }
    }
    // 20 refused cookies from that address, none counted; and a password there works.
    assert.equal(brake.levels(null, '127.0.0.7').address, 0);
    assert.equal((await send(base, `${FEED_PATH}/all/recent`, { from: '127.0.0.7', headers: { authorization: basic('hq', 's3cret') } })).status, 200);
  });

  test('session ids and passwords never reach the log', async () => {
    logLines.length = 0;
    const { id } = await bahmniLogin(base, 'hq', 's3cret');
    await send(base, SESSION_PATH, { from: '127.0.0.8', headers: { authorization: basic('hq', 'Wr0ngPassw0rd') } });
    await send(base, SESSION_PATH, { method: 'DELETE', headers: bahmniCookie(id) });
    assert.ok(logLines.some((l) => l.includes('failed login')), 'the failure was logged');
    assert.ok(logLines.some((l) => l.includes('session opened')), 'the login was logged');
    for (const line of logLines) {
      assert.ok(!line.includes(id) && !line.includes(id.toLowerCase()), line);
      assert.ok(!line.includes('s3cret') && !line.includes('Wr0ngPassw0rd'), line);
    }
  });
});

describe('the session store and cookie parsing (no server)', () => {
  test('the store holds at most maxSessions, dropping the least recently used', () => {
    let clock = 0;
    const store = new SessionStore({ maxSessions: 3, now: () => clock });
    const [a, b, c] = ['u1', 'u2', 'u3'].map((u) => store.open(u));
    clock += 1;
    assert.equal(store.use(a.id)?.user, 'u1', 'a is now the most recently used');
    const d = store.open('u4');
    assert.equal(store.size, 3);
    assert.equal(store.use(b.id), null, 'b, the least recently used, went');
    assert.equal(store.use(a.id)?.user, 'u1');
    assert.equal(store.use(c.id)?.user, 'u3');
    assert.equal(store.use(d.id)?.user, 'u4');
    assert.match(a.id, /^[0-9A-F]{32}$/);
    assert.equal(new Set([a.id, b.id, c.id, d.id]).size, 4);
  });

  test('one user logging in again and again pushes out only its own oldest sessions', () => {
    const store = new SessionStore({ maxSessions: 100, maxSessionsPerUser: 3 });
    const other = store.open('other');
    const mine = Array.from({ length: 10 }, () => store.open('loop'));
    assert.equal(store.use(other.id)?.user, 'other');
    assert.deepEqual(mine.map((s) => store.use(s.id) !== null), [false, false, false, false, false, false, false, true, true, true]);
    assert.equal(store.size, 4);
  });

  test('sessions idle too long are swept when a new one opens', () => {
    let clock = 0;
    const store = new SessionStore({ idleMs: 1000, now: () => clock });
    store.open('a');
    store.open('b');
    clock = 1000;
    store.open('c');
    assert.equal(store.size, 1);
  });

  test("session ids are read from the Cookie header as Bahmni's clients and browsers write it", () => {
    const id = 'FB0629C001449CE14DF1078ACDDBA858';
    assert.deepEqual(sessionIdsIn(` JSESSIONID=${id} `), [id]);
    assert.deepEqual(sessionIdsIn(`a=b; JSESSIONID="${id}"; c=d`), [id]);
    assert.deepEqual(sessionIdsIn(`JSESSIONID=${'0'.repeat(32)}; JSESSIONID=${id}`), ['0'.repeat(32), id]);
    assert.deepEqual(sessionIdsIn(`JSESSIONID=${id.toLowerCase()}`), []);
    assert.deepEqual(sessionIdsIn(`JSESSIONID=${id}.node0`), []);
    assert.deepEqual(sessionIdsIn(undefined), []);
    assert.equal(sessionIdsIn(Array.from({ length: 50 }, () => `JSESSIONID=${id}`).join('; ')).length, 4);
  });
});

/** The openssl version line, or null when the command is missing. */
function opensslVersion(): string | null {
  try {
    return execFileSync('openssl', ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

test('over TLS the session cookie is Secure', { skip: opensslVersion() ? false : 'no openssl to make a test certificate' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atomsync-session-tls-'));
  const db = await freshDatabase('pubsesstls');
  let server: import('node:https').Server | null = null;
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile,
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    await migrate(db.pool, 'field-a');
    const meta = await readMeta(db.pool);
    const app = createPublisherApp({
      pool: db.pool, store: new EventStore(db.pool), log: silentLogger, nodeId: 'field-a', nodeUuid: meta.node_uuid,
      emptyUpdated: dbToIso(meta.created_at), pageSize: 50, auth: { users: new Map([['hq', 's3cret']]) },
    });
    const tlsServer = (server = createHttpsServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, app));
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const tlsBase = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
    const tls = { ca: readFileSync(certFile) };
    const { id, answer } = await bahmniLogin(tlsBase, 'hq', 's3cret', { tls });
    assert.ok(answer.headers['set-cookie']![0].split('; ').includes('Secure'), answer.headers['set-cookie']![0]);
    assert.equal((await send(tlsBase, `${FEED_PATH}/all/recent`, { tls, headers: bahmniCookie(id) })).status, 200);
    const del = await send(tlsBase, SESSION_PATH, { tls, method: 'DELETE', headers: bahmniCookie(id) });
    assert.ok(del.headers['set-cookie']![0].split('; ').includes('Secure'));
  } finally {
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
    }
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a real `atomsync publish` process: log in, read with the cookie, log out; a restart forgets sessions', async () => {
  const db = await freshDatabase('pubsessproc');
  try {
    await migrate(db.pool, 'field-a');
    let pub = await startPublisher(db.url);
    await db.pool.query(insertLocationSql, ['process-clinic']);
    const [{ uuid }] = await queryRows<{ uuid: string }>(db.pool, `SELECT uuid FROM location WHERE name = 'process-clinic'`);
    const { id } = await bahmniLogin(pub.url, 'hq', 'hq-secret');
    // The process's own relay publishes the insert; the cookie alone reads it.
    await eventually(async () => {
      const feed = await send(pub.url, `${FEED_PATH}/all/recent`, { headers: { ...atomAccept, ...bahmniCookie(id) } });
      assert.equal(feed.status, 200, feed.body);
      return feed.body.includes(`${REST_PATH}/location/${uuid}`);
    }, 20_000, 'the location on the feed');
    const rep = await send(pub.url, `${REST_PATH}/location/${uuid}?v=full`, { headers: bahmniCookie(id) });
    assert.equal(rep.status, 200, rep.body);
    assert.equal(JSON.parse(rep.body).display, 'process-clinic');
    const wrong = await send(pub.url, SESSION_PATH, { headers: { authorization: basic('hq', 'nope') } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers['set-cookie'], undefined);

    const second = (await bahmniLogin(pub.url, 'hq2', 'hq2-secret')).id;
    assert.equal((await send(pub.url, SESSION_PATH, { method: 'DELETE', headers: bahmniCookie(id) })).status, 204);
    assert.equal((await send(pub.url, `${FEED_PATH}/all/recent`, { headers: bahmniCookie(id) })).status, 401);
    assert.equal((await send(pub.url, `${FEED_PATH}/all/recent`, { headers: bahmniCookie(second) })).status, 200, 'another session lives on');

    await pub.stop();
    pub = await startPublisher(db.url, { port: pub.port });
    assert.equal((await send(pub.url, `${FEED_PATH}/all/recent`, { headers: bahmniCookie(second) })).status, 401, 'forgotten at restart');
    const fresh = (await bahmniLogin(pub.url, 'hq2', 'hq2-secret')).id;
    assert.equal((await send(pub.url, `${FEED_PATH}/all/recent`, { headers: bahmniCookie(fresh) })).status, 200);
    await pub.stop();
  } finally {
    killAll();
    await db.drop();
  }
});
