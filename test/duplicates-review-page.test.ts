// The duplicate patients on the status page (issue 20, "a page on the status server with the two
// records side by side ... and buttons"), on a real database and a real server: the list, a pair's
// page with both records, "not the same person" behind the form token (refused without it), and
// the log holding no name or identifier, and a merge from the page (the kept patient chosen).
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { queryRows } from '../shared/db.ts';
import { createLogger } from '../shared/logger.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { scanDuplicates } from '../subscriber/duplicates/scan.ts';
import { listCandidates } from '../subscriber/duplicates/store.ts';
import { mergePatients } from '../subscriber/duplicates/merge.ts';
import { createStatusApp } from '../subscriber/status-server.ts';
import type { StatusReport } from '../subscriber/status.ts';
import { writeDuplicatePopulation } from '../tools/seed/duplicates.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic } from './helpers/http.ts';

const AUTH = basic('admin', 'pw');

describe('duplicate patients on the status page', { timeout: 120_000 }, () => {
  let db: TestDb;
  let server: Server;
  let base = '';
  const logged: string[] = [];
  const report: StatusReport = {
    nodeId: 'hq', startedAt: '2026-01-01T00:00:00.000Z', generatedAt: new Date().toISOString(), feeds: [],
    stats: { applied: 0, parked: 0, dead: 0, skipped: 0, dependencies: 0 }, inbox: { pending: 0, dead: 0 }, queue: null, deadLetters: [],
  };
  const send = async (path: string, o: { form?: Record<string, string>; cookie?: string } = {}) => {
    const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
    const res = await request(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: AUTH, accept: 'text/html', ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', origin: base } : {}), ...(o.cookie ? { cookie: o.cookie } : {}) },
      body,
    });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  before(async () => {
    db = await freshDatabase('dup_review');
    await migrate(db.pool, 'hq');
    await writeDuplicatePopulation(db.pool, { people: 200, duplicateShare: 0.1, sameIdentifierShare: 0.5, seed: 'review-page' });
    await scanDuplicates(db.pool, {});
    const app = createStatusApp({
      users: new Map([['admin', 'pw']]),
      csrfSecret: Buffer.alloc(32, 5),
      backend: {
        status: async () => report, retryDead: async () => [], db: db.pool, nodeId: 'hq', conflictsUserId: 1,
        mergeDuplicates: async (pairId, keep, drop) => void (await mergePatients(db.pool, { keep, drop, pairId, userId: 1 })),
      },
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

  test('lists the pairs, shows one side by side, and rejects it behind the form token', async () => {
    const pairs = await listCandidates(db.pool);
    assert.ok(pairs.length > 0, 'the scan found pairs');
    const list = await send('/duplicates');
    assert.equal(list.status, 200);
    for (const p of pairs.slice(0, 5)) assert.match(list.text, new RegExp(`href="/duplicates/${p.id}"`));

    const pair = pairs[0];
    const names = async (uuid: string) =>
      (await queryRows<{ g: string; f: string }>(db.pool, 'SELECT n.given_name AS g, n.family_name AS f FROM person_name n JOIN person p ON p.person_id = n.person_id WHERE p.uuid = ? AND n.voided = 0', [uuid]))[0];
    const [a, b] = [await names(pair.patientA), await names(pair.patientB)];
    const page = await send(`/duplicates/${pair.id}`);
    assert.equal(page.status, 200);
    for (const n of [a, b]) assert.ok(page.text.includes(n.g) && page.text.includes(n.f), 'both records are shown');
    assert.match(page.text, /Not the same person/);
    assert.match(page.text, /Same person: keep A/);

    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1];
    const cookie = String(page.headers['set-cookie'] ?? '').split(';')[0]!;
    const forged = await send(`/duplicates/${pair.id}/reject`, { form: { csrf: 'nope' }, cookie });
    assert.equal(forged.status, 403, 'refused without the form token');
    assert.equal((await listCandidates(db.pool, { status: 'rejected' })).length, 0);
    const done = await send(`/duplicates/${pair.id}/reject`, { form: { csrf }, cookie });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, `/duplicates/${pair.id}?done=rejected`);
    assert.deepEqual((await listCandidates(db.pool, { status: 'rejected' })).map((c) => c.id), [pair.id]);
    const after = await send(`/duplicates/${pair.id}?done=rejected`);
    assert.match(after.text, /not be proposed again/);
    assert.doesNotMatch(after.text, /<button[^>]*>Not the same person/, 'a decided pair has no buttons');

    for (const n of [a, b]) for (const w of [n.g, n.f]) assert.ok(!logged.some((l) => l.includes(w)), 'no name in the log');

    // Merging from the page: the other patient is merged into the one kept, the pair is merged.
    const other = (await listCandidates(db.pool)).find((c) => c.id !== pair.id)!;
    const form = await send(`/duplicates/${other.id}`);
    const token = /name="csrf" value="([^"]+)"/.exec(form.text)![1];
    const jar = String(form.headers['set-cookie'] ?? '').split(';')[0]!;
    const merged = await send(`/duplicates/${other.id}/merge`, { form: { csrf: token, keep: other.patientA }, cookie: jar });
    assert.equal(merged.status, 303, merged.text);
    assert.deepEqual((await listCandidates(db.pool, { status: 'merged' })).map((c) => c.id), [other.id]);
    const [dropped] = await queryRows<{ voided: number; r: string }>(db.pool, 'SELECT voided, void_reason AS r FROM person WHERE uuid = ?', [other.patientB]);
    assert.equal(Number(dropped.voided), 1);
    assert.match(dropped.r, new RegExp(`Merged with ${other.patientA}`, 'i'));
  });
});
