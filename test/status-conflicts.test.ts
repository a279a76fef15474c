// The status page's conflicts over HTTP (subscriber/conflicts-routes.ts), on a real database and
// a real server: the count and the open ones on the main page, the list (open first, without the
// versions), one conflict with both versions field by field, and its two buttons, which settle it
// as `atomsync conflicts resolve` does, behind the form token. Hostile values are escaped; the log
// never holds a version.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { queryRows } from '../shared/db.ts';
import { createLogger } from '../shared/logger.ts';
import { loadRepresentation } from '../shared/representation.ts';
import { RESOURCES } from '../shared/resources.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { seedNode } from '../tools/seed/index.ts';
import { createStatusApp } from '../subscriber/status-server.ts';
import type { StatusReport } from '../subscriber/status.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic } from './helpers/http.ts';

const AUTH = basic('admin', 'pw');
const SECRET_NAME = 'Other-Name-Not-For-Logs';
const EVIL = '"><script>alert(1)</script>';

describe('conflicts on the status page', { timeout: 120_000 }, () => {
  let db: TestDb;
  let server: Server;
  let base = '';
  const logged: string[] = [];
  const ids: Record<'provider' | 'evil' | 'settled', number> = { provider: 0, evil: 0, settled: 0 };
  let providerUuid = '';
  let keptName = '';
  const report: StatusReport = {
    nodeId: 'hq', startedAt: '2026-01-01T00:00:00.000Z', generatedAt: new Date().toISOString(), feeds: [],
    stats: { applied: 0, parked: 0, dead: 0, skipped: 0, dependencies: 0 }, inbox: { pending: 0, dead: 0 }, queue: null, deadLetters: [],
  };

  const send = async (path: string, o: { accept?: string; form?: Record<string, string>; cookie?: string; origin?: string } = {}) => {
    const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
    const res = await request(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: AUTH, accept: o.accept ?? 'text/html',
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', origin: o.origin ?? base } : {}),
        ...(o.cookie ? { cookie: o.cookie } : {}),
      },
      body,
    });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };
  const json = async (path: string) => JSON.parse((await send(path, { accept: 'application/json' })).text);
  /** A page's form token and the cookie it is bound to, as a browser would hold them. */
  const formOf = async (path: string) => {
    const page = await send(path);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
    const cookie = String(page.headers['set-cookie'] ?? '').split(';')[0]!;
    assert.ok(csrf && cookie, 'the page carries a form token and sets its cookie');
    return { csrf, cookie };
  };
  const stateOf = async (id: number) => (await queryRows<{ resolution: string | null; resolved_at: string | null }>(db.pool, 'SELECT resolution, resolved_at FROM atomsync_conflict WHERE id = ?', [id]))[0]!;
  const insert = async (c: { resource: string; uuid: string; feed: string; winner: string; local: unknown; remote: unknown; resolved?: boolean }) => {
    const [r] = await db.pool.query(
      `INSERT INTO atomsync_conflict (resource, uuid, feed_url, entry_id, winner, local_version, remote_version, resolved_at, resolution)
       VALUES (?, ?, ?, 'tag:e', ?, ?, ?, ${c.resolved ? "UTC_TIMESTAMP(3), 'kept'" : 'NULL, NULL'})`,
      [c.resource, c.uuid, c.feed, c.winner, JSON.stringify(c.local), JSON.stringify(c.remote)],
    );
    return (r as { insertId: number }).insertId;
  };

  before(async () => {
    db = await freshDatabase('status_conflicts');
    await migrate(db.pool, 'hq');
    await seedNode(db.pool, { patients: 1, seed: 'status-conflicts' });
    [{ uuid: providerUuid }] = await queryRows<{ uuid: string }>(db.pool, 'SELECT uuid FROM provider ORDER BY provider_id LIMIT 1');
    const here = (await loadRepresentation(db.pool, RESOURCES.provider, providerUuid))! as Record<string, unknown>;
    keptName = String(here.name);
    const feed = 'http://127.0.0.1:1/openmrs/ws/atomfeed/all/recent';
    ids.provider = await insert({ resource: 'provider', uuid: providerUuid, feed, winner: 'local', local: here, remote: { ...here, name: SECRET_NAME } });
    ids.evil = await insert({ resource: `x${EVIL}`.slice(0, 64), uuid: EVIL.slice(0, 38), feed: `http://e/${EVIL}`, winner: 'remote', local: { name: EVIL }, remote: { name: 'fine', [EVIL]: 1 } });
    ids.settled = await insert({ resource: 'provider', uuid: providerUuid, feed, winner: 'remote', local: here, remote: here, resolved: true });
    const app = createStatusApp({
      users: new Map([['admin', 'pw']]),
      csrfSecret: Buffer.alloc(32, 3),
      backend: { status: async () => report, retryDead: async () => [], db: db.pool, nodeId: 'hq', conflictsUserId: 1 },
      log: createLogger({ level: 'debug', write: (line) => logged.push(line) }),
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await db?.drop();
  });

  test('the main page counts the open ones and links each; its JSON has the counts', async () => {
    const page = await send('/');
    assert.equal(page.status, 200);
    assert.match(page.text, /id="conflicts-open">2</);
    assert.match(page.text, new RegExp(`href="/conflicts/${ids.provider}"`));
    assert.doesNotMatch(page.text, new RegExp(`id="conflict-${ids.settled}"`), 'resolved ones are not listed on the main page');
    assert.equal(page.headers['cache-control'], 'no-store');
    const j = await json('/');
    assert.deepEqual(j.conflicts, { open: 2, total: 3 });
    assert.deepEqual(j.tree, { nodeId: 'hq', parents: [], children: [] });
  });

  test('the list: open first, newest first; its JSON leaves the versions out', async () => {
    const j = await json('/conflicts');
    assert.equal(j.open, 2);
    assert.deepEqual(j.conflicts.map((c: { id: number }) => c.id), [ids.evil, ids.provider, ids.settled]);
    assert.equal(j.conflicts[1].differingFields, 1);
    assert.ok(j.conflicts.every((c: object) => !('kept' in c) && !('other' in c)));
    assert.doesNotMatch(JSON.stringify(j), new RegExp(SECRET_NAME));
  });

  test('one conflict: both versions side by side, the differing field first, which won and why', async () => {
    const page = await send(`/conflicts/${ids.provider}`);
    assert.equal(page.status, 200);
    const differing = /<h3>The fields that differ<\/h3>([\s\S]*?)<\/table>/.exec(page.text)?.[1] ?? '';
    assert.match(differing, new RegExp(`<tr class="differs">\\s*<td class="field">name</td><td>&quot;${keptName}&quot;</td><td>&quot;${SECRET_NAME}&quot;</td>`));
    assert.match(page.text, /Kept: this node&#39;s version \(won\)/);
    assert.match(page.text, /Keep this version<\/button>[\s\S]*Keep the other<\/button>/);
    const j = await json(`/conflicts/${ids.provider}`);
    assert.deepEqual(j.fields.filter((f: { differs: boolean }) => f.differs), [{ field: 'name', kept: JSON.stringify(keptName), other: JSON.stringify(SECRET_NAME), differs: true }]);
    assert.match(j.why, /^Every node kept this node's version/);
    assert.equal((await send('/conflicts/999999')).status, 404);
    assert.equal((await send('/conflicts/x1')).status, 404);
  });

  test('hostile values are escaped on every page', async () => {
    for (const path of ['/', '/conflicts', `/conflicts/${ids.evil}`]) {
      const page = await send(path);
      assert.doesNotMatch(page.text, /<script>alert/, path);
    }
    assert.match((await send(`/conflicts/${ids.evil}`)).text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  test('the buttons need the form token and this origin; "keep the other" writes it as this node\'s own change, once', async () => {
    const { csrf, cookie } = await formOf(`/conflicts/${ids.provider}`);
    const path = `/conflicts/${ids.provider}/resolve`;
    assert.equal((await send(path, { form: { keep: 'other' }, cookie })).status, 403, 'no token');
    assert.equal((await send(path, { form: { keep: 'other', csrf: 'x'.repeat(43) }, cookie })).status, 403, 'a wrong token');
    assert.equal((await send(path, { form: { keep: 'other', csrf }, cookie, origin: 'http://evil.example' })).status, 403, 'another origin');
    assert.equal((await send(path, { form: { keep: 'both', csrf }, cookie })).status, 400);
    assert.equal((await stateOf(ids.provider)).resolved_at, null, 'still open after the refusals');

    const own = async () => Number((await queryRows<{ n: number }>(db.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox WHERE uuid = ? AND origin IS NULL', [providerUuid]))[0]!.n);
    const before = await own();
    const done = await send(path, { form: { keep: 'other', csrf }, cookie });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, `/conflicts/${ids.provider}?resolved=other`);
    assert.equal((await stateOf(ids.provider)).resolution, 'other');
    const [row] = await queryRows<{ name: string }>(db.pool, 'SELECT name FROM provider WHERE uuid = ?', [providerUuid]);
    assert.equal(row!.name, SECRET_NAME, 'the other version is the state here');
    const after = await own();
    assert.ok(after > before, "a new change of this node's own, for its publisher");
    const page = await send(done.headers.location as string, { cookie });
    assert.match(page.text, /role="status">Resolved: the other version is now this node’s own change/);
    assert.doesNotMatch(page.text, /<button/, 'no buttons once resolved');

    const again = await send(path, { form: { keep: 'kept', csrf }, cookie });
    assert.equal(again.headers.location, `/conflicts/${ids.provider}?resolved=already`);
    assert.equal((await stateOf(ids.provider)).resolution, 'other', 'the first choice stands');
    assert.equal(await own(), after, 'nothing written again');
  });

  test('"keep this version" writes nothing; a resource atomsync does not know cannot take the other', async () => {
    const { csrf, cookie } = await formOf(`/conflicts/${ids.evil}`);
    const path = `/conflicts/${ids.evil}/resolve`;
    const refused = await send(path, { form: { keep: 'other', csrf }, cookie });
    assert.equal(refused.status, 422);
    assert.equal((await stateOf(ids.evil)).resolved_at, null, 'it stays open');
    const kept = await send(path, { form: { keep: 'kept', csrf }, cookie });
    assert.equal(kept.status, 303);
    assert.equal((await stateOf(ids.evil)).resolution, 'kept');
    assert.deepEqual((await json('/')).conflicts, { open: 0, total: 3 });
  });

  test('the log names conflicts and choices, never a version', () => {
    const all = logged.join('\n');
    assert.match(all, /conflict resolved from the status page/);
    assert.doesNotMatch(all, new RegExp(SECRET_NAME));
    assert.doesNotMatch(all, new RegExp(keptName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });
});
