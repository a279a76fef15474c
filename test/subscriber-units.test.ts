// Pure parts of the subscriber: no network, no database.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RESOURCES } from '../shared/resources.ts';
import { ForbiddenLinkError, HttpStatusError, FetchError, InvalidResourceError, MissingReferenceError, SyncError, isRetryable } from '../subscriber/errors.ts';
import { FetchStage } from '../subscriber/fetch-stage.ts';
import { InboxRetry } from '../subscriber/inbox-retry.ts';
import { newStats } from '../subscriber/outcomes.ts';
import { progressLine } from '../subscriber/progress-lines.ts';
import type { InboxRow } from '../subscriber/inbox.ts';
import { silentLogger } from '../shared/logger.ts';
import { FeedLoopError } from '../subscriber/pages-ahead.ts';
import { FeedAddress } from '../subscriber/feed-address.ts';
import { RETRY_DEFAULTS, backoffMs, retryDelayMs } from '../subscriber/backoff.ts';
import { acceptEncodingFor, redact, retryAfterSeconds } from '../subscriber/http-client.ts';
import { KeyedMutex } from '../subscriber/keyed-mutex.ts';
import { Semaphore } from '../subscriber/semaphore.ts';
import { parseResourcePath } from '../subscriber/resource-fetcher.ts';
import { retryQueueName } from '../subscriber/retry-queue.ts';
import { listPath, MAX_LIST_UUIDS } from '../shared/protocol.ts';
import { createHash } from 'node:crypto';
import { canonicalJson, contentHash, versionOf } from '../subscriber/content-hash.ts';
import { referencesOf, toRowTree } from '../subscriber/row-tree.ts';
import type { RowNode } from '../subscriber/row-tree.ts';
import { judge } from '../subscriber/conflict-rule.ts';

test('a feed URL gives its marker key, page 1 and credentials, and keeps links on its own origin', () => {
  const s = new FeedAddress('http://hq:s%3Acret@clinic-a:8081/openmrs/ws/atomfeed/patient/recent');
  assert.equal(s.key, 'http://clinic-a:8081/openmrs/ws/atomfeed/patient/recent');
  assert.equal(s.firstPageUrl, 'http://clinic-a:8081/openmrs/ws/atomfeed/patient/1');
  assert.equal(s.authorization, `Basic ${Buffer.from('hq:s:cret').toString('base64')}`);
  assert.equal(s.resolve('/openmrs/ws/rest/v1/patient/x?v=full'), 'http://clinic-a:8081/openmrs/ws/rest/v1/patient/x?v=full');
  assert.equal(s.resolve('http://clinic-a:8081/openmrs/ws/atomfeed/patient/2'), 'http://clinic-a:8081/openmrs/ws/atomfeed/patient/2');
  for (const evil of ['http://evil.example/x', 'http://clinic-a:9999/x', 'https://clinic-a:8081/x', '//evil.example/x', 'http://u:p@clinic-a:8081/x', 'file:///etc/passwd']) {
    assert.throws(() => s.resolve(evil), ForbiddenLinkError, evil);
  }
  const allowed = new FeedAddress('http://clinic-a:8081/openmrs/ws/atomfeed/all/recent', { allowedOrigins: ['http://rest-host:80'], defaultCredentials: 'erp:x' });
  assert.equal(allowed.resolve('http://rest-host/x'), 'http://rest-host/x');
  assert.equal(allowed.authorization, `Basic ${Buffer.from('erp:x').toString('base64')}`);
  assert.throws(() => new FeedAddress('ftp://x/openmrs/ws/atomfeed/all/recent'), /http or https/);
  assert.throws(() => new FeedAddress('http://x/openmrs/ws/atomfeed/all/3'), /must end in/);
  assert.throws(() => new FeedAddress('not a url'), /not a URL/);
});

test('credentials never appear in redacted URLs', () => {
  assert.equal(redact('http://hq:secret@a:1/p?q=1'), 'http://a:1/p?q=1');
  assert.equal(redact('::'), '(unparseable URL)');
  // A list request's uuids are cut to the first two, so the status after the URL stays in sight.
  const list = `http://u:p@a:1/openmrs/ws/rest/v1/obs?v=sync&uuids=${Array.from({ length: 100 }, (_, i) => `u${i}`).join(',')}`;
  assert.equal(redact(list), 'http://a:1/openmrs/ws/rest/v1/obs?v=sync&uuids=u0,u1,...(98 more)');
  assert.equal(redact('http://a:1/x?uuids=u0,u1'), 'http://a:1/x?uuids=u0,u1');
});

test('entry content paths name a resource and a uuid, or nothing', () => {
  assert.deepEqual(parseResourcePath('/openmrs/ws/rest/v1/obs/8D4A4488-C2CC-11DE-8D13-0010C6DFFD0F?v=full'), {
    resource: 'obs', uuid: '8d4a4488-c2cc-11de-8d13-0010c6dffd0f',
  });
  // CIEL's concept uuids are what OpenMRS stores too: 36 and 32 characters without dashes, upper case.
  assert.deepEqual(parseResourcePath('/openmrs/ws/rest/v1/concept/5089AAAAAAAAAAAAAAAAAAAAAAAAAAAA?v=full'), {
    resource: 'concept', uuid: '5089aaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  });
  assert.equal(parseResourcePath(`/openmrs/ws/rest/v1/concept/${'1000' + 'A'.repeat(32)}`)?.uuid, '1000' + 'a'.repeat(32));
  assert.equal(parseResourcePath('/openmrs/ws/rest/v1/obs/not%20a%20uuid'), null);
  assert.equal(parseResourcePath(`/openmrs/ws/rest/v1/obs/${'a'.repeat(39)}`), null);
  assert.equal(parseResourcePath("/openmrs/ws/rest/v1/obs/x'y"), null);
  assert.equal(parseResourcePath('/etc/passwd'), null);
  assert.equal(parseResourcePath('/openmrs/ws/rest/v1/obs/8d4a4488-c2cc-11de-8d13-0010c6dffd0f/extra'), null);
});

test('protocol words in one place: the list request and the retry queue name', () => {
  assert.equal(listPath('obs', ['8d4a4488-c2cc-11de-8d13-0010c6dffd0f', '5089AAAAAAAAAAAAAAAAAAAAAAAAAAAA'], 'sync'),
    '/openmrs/ws/rest/v1/obs?v=sync&uuids=8d4a4488-c2cc-11de-8d13-0010c6dffd0f,5089AAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  assert.equal(MAX_LIST_UUIDS, 200, 'what SPEC.md promises a list request may hold');
  assert.equal(retryQueueName('hq'), 'atomsync-retry-hq');
});

test('retry delays grow exponentially, stay jittered within bounds, and honour Retry-After', () => {
  const policy = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 60_000 };
  for (let attempt = 1; attempt <= 12; attempt++) {
    const bound = Math.min(60_000, 1000 * 2 ** (attempt - 1));
    for (const r of [0, 0.5, 0.999]) {
      const d = retryDelayMs(attempt, policy, () => r);
      assert.ok(d >= bound / 2 && d <= bound, `attempt ${attempt}: ${d} within [${bound / 2}, ${bound}]`);
    }
  }
  assert.equal(backoffMs(3, 100, 10_000, () => 0.999), 799);
  assert.equal(backoffMs(30, 100, 10_000, () => 0.5), 5000);
  assert.equal(retryAfterSeconds('7'), 7);
  assert.equal(retryAfterSeconds(new Date(Date.now() + 5000).toUTCString()) !== undefined, true);
  assert.equal(retryAfterSeconds('soon'), undefined);
});

test('gzip is asked for from every host but a loopback one, where it would only cost CPU on both sides', () => {
  for (const url of ['http://127.0.0.1:8081/feed/1', 'http://127.3.4.5/x', 'http://localhost:8081/x', 'http://LOCALHOST/x', 'http://[::1]:8081/x', 'http://u:p@127.0.0.1/x']) {
    assert.equal(acceptEncodingFor(url), 'identity', url);
  }
  for (const url of ['https://clinic-a.example:8443/feed/1', 'http://10.0.0.7/x', 'http://128.0.0.1/x', 'http://[2001:db8::1]/x', 'http://localhost.example/x', 'not a url']) {
    assert.equal(acceptEncodingFor(url), 'gzip', url);
  }
});

test('one backoff: full jitter below the bound, or a certain share of it always waited', () => {
  assert.equal(backoffMs(2, 100, 10_000, () => 0), 0);
  assert.equal(backoffMs(2, 100, 10_000, () => 0, 0.5), 200);
  assert.equal(backoffMs(2, 100, 10_000, () => 0.999, 0.5), 399);
  assert.equal(backoffMs(40, 100, 10_000, () => 0.999, 0.5), 9995, 'the bound stops at maxMs');
  assert.equal(retryDelayMs(3, { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 60_000 }, () => 0.5), backoffMs(2, 1000, 60_000, () => 0.5, 0.5));
});

test('the fetch stage and the inbox retry schedule what they park or join through the onParked they are given', async () => {
  const uuid = '8d4a4488-c2cc-11de-8d13-0010c6dffd0f';
  const scheduled: Array<[number, number]> = [];
  const source = new FeedAddress('http://clinic-a:8081/openmrs/ws/atomfeed/all/recent');
  const inbox = { waiting: async () => new Set([`obs/${uuid}`]), join: async () => 7, fail: async () => 'pending' } as never;
  const onParked = (id: number, delayMs: number) => void scheduled.push([id, delayMs]);
  const stats = newStats();
  const fetch = new FetchStage({ nodeId: 'hq', sink: { accepts: () => true } as never, fetcher: {} as never, resolver: {} as never, inbox, stats, log: silentLogger, onParked });
  const retrier = (careful: unknown) => new InboxRetry({ careful: careful as never, inbox, policy: RETRY_DEFAULTS, stats, log: silentLogger, onParked });
  // A new event for a resource waiting in the inbox joins its row, which is due again at once.
  const batch = await fetch.fetch([{
    id: 'tag:atomfeed.ict4h.org:1', eventUuid: '1', title: 'obs', updated: '2024-01-01T00:00:00Z', categories: ['obs', 'UPDATED'],
    contentType: 'application/vnd.atomfeed+xml', contentPath: `/openmrs/ws/rest/v1/obs/${uuid}?v=full`, action: 'UPDATED', position: 1, origin: 'clinic-a',
  }], source);
  assert.deepEqual(batch.settled, ['joined']);
  assert.deepEqual(scheduled, [[7, 0]]);
  // A retry that fails again is scheduled after the policy's backoff for its next attempt.
  const row = { id: 9, attempts: 2, resource: 'obs', uuid, feedUrl: source.key, entryId: 'e', contentPath: `/openmrs/ws/rest/v1/obs/${uuid}`, action: 'UPDATED', origin: 'clinic-a', position: 1 };
  const failing = retrier({ apply: async () => { throw new FetchError('GET x answered 503', 'x', 503); } });
  assert.equal(await failing.retry(row as InboxRow, source), 'pending');
  const [id, delayMs] = scheduled[1];
  assert.equal(id, 9);
  assert.ok(delayMs >= RETRY_DEFAULTS.baseDelayMs * 2 && delayMs <= RETRY_DEFAULTS.baseDelayMs * 4, `attempt 3 waits ${delayMs} ms`);
});

test('whether an error is retried is decided by its class', () => {
  assert.equal(isRetryable(new FetchError('x', 'u', 503)), true);
  assert.equal(isRetryable(new HttpStatusError('x', 'u', 404)), true);
  assert.equal(isRetryable(new HttpStatusError('x', 'u', 401)), false);
  assert.equal(isRetryable(new InvalidResourceError('x', 'obs', 'u')), false);
  assert.equal(isRetryable(new ForbiddenLinkError('u', [])), false);
  assert.equal(isRetryable(new Error('deadlock')), true);
});

test('a missing reference, a 304 nobody asked for and a feed loop are typed errors that say what happened', () => {
  const missing = new MissingReferenceError('location', '8d4a4488-c2cc-11de-8d13-0010c6dffd0f');
  assert.ok(missing instanceof SyncError);
  assert.equal(isRetryable(missing), true, 'retried by its class: the reference may be there next time');
  assert.deepEqual([missing.name, missing.resource, missing.uuid], ['MissingReferenceError', 'location', '8d4a4488-c2cc-11de-8d13-0010c6dffd0f']);
  const notModified = new HttpStatusError('GET http://a/x answered 304', 'http://a/x', 304);
  assert.equal(isRetryable(notModified), false);
  const loop = new FeedLoopError('http://a/openmrs/ws/atomfeed/all/recent', 'http://a/openmrs/ws/atomfeed/all/1');
  assert.deepEqual([loop.name, loop.feed, loop.url], ['FeedLoopError', 'http://a/openmrs/ws/atomfeed/all/recent', 'http://a/openmrs/ws/atomfeed/all/1']);
  assert.equal(loop.message, 'feed http://a/openmrs/ws/atomfeed/all/recent: next-archive leads back to http://a/openmrs/ws/atomfeed/all/1');
});

test('KeyedMutex runs one key in order and different keys together', async () => {
  const m = new KeyedMutex();
  const log: string[] = [];
  const step = (k: string, i: number, ms: number) => m.run(k, async () => {
    log.push(`${k}${i}+`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`${k}${i}-`);
    if (i === 1 && k === 'a') throw new Error('boom');
  });
  await Promise.allSettled([step('a', 1, 30), step('a', 2, 1), step('b', 1, 5)]);
  assert.ok(log.indexOf('a1-') < log.indexOf('a2+'), 'a2 waits for a1 even though a1 failed');
  assert.ok(log.indexOf('b1+') < log.indexOf('a1-'), 'b runs alongside a');
});

test('Semaphore bounds concurrency and keeps its callers in order', async () => {
  let active = 0;
  let peak = 0;
  const two = new Semaphore(2);
  const out = await Promise.all([5, 1, 3, 2, 4].map((ms) => two.run(async () => {
    peak = Math.max(peak, ++active);
    await new Promise((r) => setTimeout(r, ms));
    active--;
    return ms * 10;
  })));
  assert.deepEqual(out, [50, 10, 30, 20, 40]);
  assert.equal(peak, 2);
  const lim = new Semaphore(1);
  const order: number[] = [];
  await Promise.all([1, 2, 3].map((i) => lim.run(async () => void order.push(i))));
  assert.deepEqual(order, [1, 2, 3]);
  assert.throws(() => new Semaphore(0), /at least 1/);
  // A hold across calls: the second acquire waits until the first is given back, once however often.
  const one = new Semaphore(1);
  const release = await one.acquire();
  let second = false;
  const next = one.acquire().then((r) => ((second = true), r));
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(second, false, 'the place is held');
  release();
  release();
  const releaseSecond = await next;
  let third = false;
  void one.acquire().then(() => (third = true));
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(third, false, 'giving back twice gave back once');
  releaseSecond();
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(third, true);
});

const encounter = (providers: unknown[], changed = '2024-01-02T03:04:05.000+0000') => ({
  uuid: '11111111-1111-4111-8111-111111111111',
  encounterDatetime: '2024-01-01T10:00:00.000+0000',
  encounterType: { uuid: '22222222-2222-4222-8222-222222222222' },
  patient: { uuid: '33333333-3333-4333-8333-333333333333' },
  location: null,
  visit: '44444444-4444-4444-8444-444444444444',
  encounterProviders: providers,
  voided: false,
  auditInfo: { creator: { uuid: '55555555-5555-4555-8555-555555555555' }, dateCreated: '2024-01-01T10:00:00.000+0000', dateChanged: changed },
});
const provider = (n: number) => ({
  uuid: `6666666${n}-6666-4666-8666-666666666666`,
  provider: { uuid: `7777777${n}-7777-4777-8777-777777777777` },
  encounterRole: { uuid: '88888888-8888-4888-8888-888888888888' },
  voided: false,
  auditInfo: { dateCreated: '2024-01-01T10:00:00.000+0000', dateVoided: n === 2 ? '2025-06-01T00:00:00.000+0000' : null },
});

test('a representation becomes rows: references by uuid, owned rows kept, version is the latest audit date', () => {
  const tree = toRowTree(RESOURCES.encounter, encounter([provider(1), provider(2)]), '11111111-1111-4111-8111-111111111111');
  assert.equal(tree.values.encounter_datetime, '2024-01-01 10:00:00');
  assert.deepEqual(tree.refs.visit_id, { resource: 'visit', uuid: '44444444-4444-4444-8444-444444444444' });
  assert.equal(tree.refs.location_id, null);
  assert.equal(tree.parts[0].rows.length, 2);
  assert.equal(versionOf(tree), '2025-06-01 00:00:00.000', 'a voided provider row is the newest change');
  const refs = referencesOf(tree, { resource: 'encounter', uuid: tree.uuid! }).map((r) => r.resource).sort();
  assert.deepEqual(refs, ['encounterrole', 'encountertype', 'patient', 'provider', 'provider', 'visit']);
});

test('the content hash ignores the order of owned rows and audit users, and sees every value', () => {
  const u = '11111111-1111-4111-8111-111111111111';
  const h = (rep: object) => contentHash(toRowTree(RESOURCES.encounter, rep, u));
  const base = h(encounter([provider(1), provider(2)]));
  assert.equal(h(encounter([provider(2), provider(1)])), base);
  const otherCreator = encounter([provider(1), provider(2)]);
  otherCreator.auditInfo.creator = { uuid: '99999999-9999-4999-8999-999999999999' };
  assert.equal(h(otherCreator), base);
  assert.notEqual(h(encounter([provider(1)])), base);
  assert.notEqual(h(encounter([provider(1), provider(2)], '2024-01-03T00:00:00.000+0000')), base);
  assert.notEqual(h({ ...encounter([provider(1), provider(2)]), voided: true }), base);
});

test('the hashed text is byte for byte what the stored hashes were made from', () => {
  // Hashes are stored (atomsync_sync_state) and compared with new ones: the text must not drift.
  // The original definition, kept here as the reference:
  const canon = (n: RowNode): unknown => [
    n.uuid,
    Object.keys(n.values).sort().map((k) => [k, n.values[k]]),
    Object.keys(n.refs).sort().map((k) => [k, n.refs[k]?.uuid ?? null]),
    n.parts.map((p) => [p.prop, p.rows.map(canon).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))]),
  ];
  const reference = (n: RowNode) => JSON.stringify(canon(n));
  const u = '11111111-1111-4111-8111-111111111111';
  const real = toRowTree(RESOURCES.encounter, encounter([provider(2), provider(1)]), u);
  assert.equal(canonicalJson(real), reference(real));
  assert.equal(contentHash(real), createHash('sha256').update(reference(real)).digest('hex'));
  assert.equal(contentHash(real), 'eed92e6af2e9eec520723fde11cb5ec011799527698b7ea24a3242f49399d0b5');
  // Random trees with awkward values: quotes, unicode, undefined, NaN, equal owned rows, empty parts.
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const awkward = [null, undefined, NaN, 0, -1.5, 1e21, true, false, '', 'a"b\\c', 'é ✓ \u2028', '\u0000', '\ud800', 'x\udc00y', '😀', -0, 1 / 3, Infinity, { a: [1, 'b'] }, '2024-01-01 10:00:00'];
  const tree = (depth: number): RowNode => ({
    spec: RESOURCES.obs.root,
    uuid: rnd(4) ? `u${rnd(3)}` : null,
    values: Object.fromEntries(Array.from({ length: rnd(5) }, () => [`c${rnd(9)}`, awkward[rnd(awkward.length)]])),
    refs: Object.fromEntries(Array.from({ length: rnd(3) }, () => [`r${rnd(5)}`, rnd(3) ? { resource: 'obs' as const, uuid: `x${rnd(4)}` } : null])),
    users: {},
    parts: depth > 2 ? [] : Array.from({ length: rnd(3) }, (_, i) => ({ prop: `p${i}`, many: true, parentKeyColumn: 'k', rows: Array.from({ length: rnd(4) }, () => tree(depth + 1)) })),
  });
  for (let i = 0; i < 500; i++) {
    const t = tree(0);
    assert.equal(canonicalJson(t), reference(t), `tree ${i}`);
  }
});

test('columns and parts added to an entry later leave the hashes of rows that do not use them unchanged', () => {
  // Subscribers store the hash of what they applied; an upgrade that adds obs.order_id or a person's
  // attributes must not make every row synced before look changed here (a false conflict).
  const u = '22222222-2222-4222-8222-222222222222';
  const ref = (x: string) => ({ uuid: x });
  const obs = (extra: object = {}) => ({
    uuid: u, obsDatetime: '2024-01-02T10:00:00.000+0000', valueNumeric: 36.6, voided: false,
    person: ref('33333333-3333-4333-8333-333333333333'), concept: ref('44444444-4444-4444-8444-444444444444'),
    auditInfo: { dateCreated: '2024-01-02T10:00:00.000+0000' }, ...extra,
  });
  const tree = toRowTree(RESOURCES.obs, obs(), u);
  assert.ok('order_id' in tree.refs && 'value_drug' in tree.refs, 'the new columns are in the tree');
  const before = structuredClone(tree);
  delete before.refs.order_id;
  delete before.refs.value_drug;
  assert.equal(canonicalJson(tree), canonicalJson(before), 'NULL in a column added later: hashed as before it existed');
  const withOrder = toRowTree(RESOURCES.obs, obs({ order: ref('55555555-5555-4555-8555-555555555555') }), u);
  assert.notEqual(contentHash(withOrder), contentHash(tree), 'a value in it counts');
  const concept = (extra: object = {}) => ({ uuid: u, set: false, retired: false, names: [], datatype: ref(u), conceptClass: ref(u), auditInfo: {}, ...extra });
  const c = toRowTree(RESOURCES.concept, concept(), u);
  assert.match(canonicalJson(c), /\["names",\[\]\]\]\]$/, 'empty parts added later (answers, sets, numeric) are left out');
  assert.notEqual(contentHash(toRowTree(RESOURCES.concept, concept({ hiAbsolute: 250, hiNormal: 5 }), u)), contentHash(c));
});

test('malformed representations are refused with the reason', () => {
  const u = '11111111-1111-4111-8111-111111111111';
  const bad = (patch: object, re: RegExp) =>
    assert.throws(() => toRowTree(RESOURCES.encounter, { ...encounter([]), ...patch }, u), (e: unknown) => e instanceof InvalidResourceError && re.test(e.message));
  bad({ patient: null }, /patient is required/);
  bad({ patient: { uuid: 'DROP TABLE' } }, /does not hold a uuid/);
  bad({ encounterDatetime: '31/12/2024' }, /not a valid OpenMRS datetime/);
  bad({ encounterProviders: 'all of them' }, /not a list of objects/);
  bad({ encounterProviders: [provider(1), provider(1)] }, /lists a uuid twice/);
  assert.throws(() => toRowTree(RESOURCES.encounter, [1, 2], u), /not a JSON object/);
});

test('progress lines say what a catch-up does from the first second, then how far and how fast', () => {
  const lag = (markerPosition: number, newestPosition: number) => ({ markerPosition, newestPosition, newestAt: null, events: newestPosition - markerPosition, seconds: 0 });
  const feed = 'http://clinic-a:8081/openmrs/ws/atomfeed/all/recent';
  assert.equal(progressLine({ feed, lag: lag(0, 0), caughtUp: false }), `${feed}: fetching the first pages`);
  assert.equal(progressLine({ feed, lag: lag(0, 800), caughtUp: false }), `${feed}: at event 0 of 800 seen so far (0%)`);
  assert.equal(progressLine({ feed, lag: lag(3000, 12000), caughtUp: false }, { position: 1000, seconds: 5 }), `${feed}: at event 3,000 of 12,000 seen so far (25%), 400 events/s`);
});

test('the conflict rule: the newer state wins, a tie between two lineages goes to the greater hash, one lineage follows itself', () => {
  const at = (version: string, hash: string) => ({ version, hash });
  // Local state as last received, unchanged since: the incoming one simply applies, even at the same time.
  assert.deepEqual(judge({ ...at('t1', 'a'), synced: 'a', syncedOrigin: 'clinic' }, { ...at('t1', 'b'), origin: 'clinic' }), { verdict: 'apply', conflict: false });
  // The same content: nothing to do.
  assert.deepEqual(judge({ ...at('t1', 'a'), synced: null, syncedOrigin: null }, { ...at('t2', 'a'), origin: 'clinic' }), { verdict: 'unchanged', conflict: false });
  // Changed here and there since they agreed: the newer wins, both kept.
  assert.deepEqual(judge({ ...at('t2', 'b'), synced: 'a', syncedOrigin: 'clinic' }, { ...at('t1', 'c'), origin: 'clinic' }), { verdict: 'keep-local', conflict: true });
  assert.deepEqual(judge({ ...at('t1', 'b'), synced: 'a', syncedOrigin: 'clinic' }, { ...at('t2', 'c'), origin: 'clinic' }), { verdict: 'apply', conflict: true });
  // Same second at two nodes: the greater hash wins wherever it is decided.
  assert.deepEqual(judge({ ...at('t1', 'b'), synced: 'a', syncedOrigin: 'clinic' }, { ...at('t1', 'c'), origin: 'clinic' }), { verdict: 'apply', conflict: true });
  assert.deepEqual(judge({ ...at('t1', 'c'), synced: 'a', syncedOrigin: 'clinic' }, { ...at('t1', 'b'), origin: 'clinic' }), { verdict: 'keep-local', conflict: true });
  // A node in the middle: local state received from national, a clinic's state of the same second arrives.
  assert.deepEqual(judge({ ...at('t1', 'c'), synced: 'c', syncedOrigin: 'national' }, { ...at('t1', 'b'), origin: 'clinic' }), { verdict: 'keep-local', conflict: true });
  // An older state from the same lineage never overwrites a newer one, and is not a conflict.
  assert.deepEqual(judge({ ...at('t2', 'c'), synced: 'c', syncedOrigin: 'clinic' }, { ...at('t1', 'b'), origin: 'clinic' }), { verdict: 'keep-local', conflict: false });
});
