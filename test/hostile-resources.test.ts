// Hostile and broken resources behind a well-formed feed: each entry's resource is
// wrong in its own way. Each becomes a dead letter whose error names the resource
// and the problem (what `atomsync failed list` shows), a value that only looks like
// SQL is stored as it is, and the good location at the end of the same feed still
// arrives. Run twice: with list requests (the batch path) and one at a time (the
// careful path a plain atomfeed server gets).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REST_PATH } from '../shared/protocol.ts';
import { queryRows } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import type { InboxRow } from '../subscriber/inbox.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { EvilPublisher, Trap, feedPage, locationRep, ref, uuidFrom } from './helpers/evil-publisher.ts';
import type { EvilEntry } from './helpers/evil-publisher.ts';
import { killAll, run } from './helpers/processes.ts';

interface Case {
  name: string;
  /** The dead letter's last_error; undefined for a case that must apply. */
  error?: RegExp;
}

/** Values that look like SQL (and other things a careless writer would mangle), to be stored verbatim. */
const SQLISH = {
  name: `Robert'); DROP TABLE location; --`,
  description: `1' OR '1'='1' /* \\' \\\\ %_ */ ; SELECT SLEEP(10) #`,
  address1: 'tab\there, NUL \u0000 here, emoji 🏥, quote " and backtick `',
  cityVillage: `"; UPDATE users SET password = '' WHERE 1; --`,
  postalCode: `\\N`,
  country: `NULL`,
};

for (const listRequests of [true, false]) {
  describe(`hostile resources (${listRequests ? 'list requests' : 'one at a time'})`, { timeout: 120_000 }, () => {
    let hq: TestDb;
    const evil = new EvilPublisher();
    const trap = new Trap();
    const cases: Case[] = [];
    const entries: EvilEntry[] = [];
    let dead: InboxRow[] = [];
    let out = '';
    const u = (name: string, what = 'location') => uuidFrom(`${name}/${what}`);
    const entryId = (name: string) => `tag:atomfeed.ict4h.org:${u(name, 'event')}`;
    /** One entry of the feed, for a location served as `body` (an object is sent as JSON). */
    const add = (name: string, error: RegExp | undefined, body: Record<string, unknown> | string | null, entry: Partial<EvilEntry> = {}) => {
      cases.push({ name, error });
      entries.push({ uuid: u(name), eventUuid: u(name, 'event'), ...entry });
      if (body !== null) evil.resource('location', u(name), body);
    };
    const rep = (name: string, over: Record<string, unknown> = {}) => locationRep(u(name), `hostile-${name}`, over);
    const audit = (over: Record<string, unknown>) => ({ ...(rep('x').auditInfo as object), ...over });

    before(async () => {
      hq = await freshDatabase(`hostres_${listRequests ? 'list' : 'one'}`);
      await migrate(hq.pool, 'hq');
      await Promise.all([evil.start(), trap.start()]);
      evil.listRequests = listRequests;
      const U = (name: string) => u(name).replace(/-/g, '\\-');

      add('invalid-json', new RegExp(`^InvalidResourceError: location ${U('invalid-json')}: the response is not JSON$`), `{"uuid": "${u('invalid-json')}", "name": `);
      add('html-login-page', /: the response is not JSON$/, { headers: { 'content-type': 'text/html' }, body: '<html><body>Please log in</body></html>' });
      add('not-an-object', /: the response is not a JSON object$/, '[1, 2, 3]');
      // (An OpenMRS uuid is 1-38 letters, digits and '-', so 'not-a-uuid' would be one: these have a space and a quote.)
      add('entry-uuid-not-a-uuid', /^entry tag:atomfeed\S+ has no REST resource path in its content$/, null, { uuid: "not a 'uuid'" });
      add('rep-uuid-not-a-uuid', /representation has uuid "not a 'uuid'", not the one requested$/, rep('rep-uuid-not-a-uuid', { uuid: "not a 'uuid'" }));
      add('rep-uuid-differs', new RegExp(`representation has uuid "${U('someone-else')}", not the one requested$`), rep('rep-uuid-differs', { uuid: u('someone-else') }));
      add('ref-not-a-uuid', /: root\.parentLocation does not hold a uuid$/, rep('ref-not-a-uuid', { parentLocation: ref(`'; DROP TABLE location; --`) }));
      add('missing-dependency', new RegExp(`^DependencyUnavailableError: needs location ${U('nowhere')}, which cannot be fetched yet: GET \\S+/location/${U('nowhere')}\\?v=full answered 404$`),
        rep('missing-dependency', { parentLocation: ref(u('nowhere')) }));
      // Each the other's parent: a cycle through a column that may be NULL is written in two passes.
      add('cycle', undefined, rep('cycle', { parentLocation: ref(u('cycle-partner')) }));
      evil.resource('location', u('cycle-partner'), locationRep(u('cycle-partner'), 'hostile-partner', { parentLocation: ref(u('cycle')) }));
      add('self-parent', new RegExp(`^ReferenceCycleError: reference cycle: location/${U('self-parent')} -> location/${U('self-parent')} \\(root\\.parentLocation\\)$`), rep('self-parent', { parentLocation: ref(u('self-parent')) }));
      add('name-too-long', /^InvalidResourceError: location\.name is too long: 300 characters, the column holds 255$/, rep('name-too-long', { name: 'n'.repeat(300) }));
      add('megabyte-postcode', /^InvalidResourceError: location\.postal_code is too long: 1000000 characters, the column holds 50$/, rep('megabyte-postcode', { postalCode: '9'.repeat(1_000_000) }));
      add('not-a-date', /: root\.auditInfo\.dateCreated: not a valid OpenMRS datetime: "yesterday"$/, rep('not-a-date', { auditInfo: audit({ dateCreated: 'yesterday' }) }));
      add('impossible-date', /: root\.auditInfo\.dateCreated: not a valid OpenMRS datetime: "2024-02-30T10:00:00\.000\+0000"$/,
        rep('impossible-date', { auditInfo: audit({ dateCreated: '2024-02-30T10:00:00.000+0000' }) }));
      add('date-not-a-string', /: root\.auditInfo\.dateRetired is not a string$/, rep('date-not-a-string', { retired: true, auditInfo: audit({ dateRetired: 1706000000000 }) }));
      add('object-for-a-string', /: root\.name: not a valid string: an object$/, rep('object-for-a-string', { name: { first: 'x' } }));
      const deep = 200_000;
      add('deeply-nested', /: (root\.description: not a valid string: a list|the response is not JSON)$/,
        `{"uuid": "${u('deeply-nested')}", "name": "deep", "description": ${'['.repeat(deep)}${']'.repeat(deep)}}`);
      add('three-megabytes', /^BodyTooLargeError: GET \S+ body larger than 2097152 bytes$/, `{"uuid": "${u('three-megabytes')}", "name": "${'x'.repeat(3_000_000)}"}`);
      add('redirect-elsewhere', /^HttpStatusError: GET \S+ answered 302$/, { status: 302, headers: { location: `${trap.url}${REST_PATH}/location/${u('redirect-elsewhere')}` }, body: '' });
      add('content-on-another-host', /^entry tag:atomfeed\S+: refusing to follow http:\/\/127\.0\.0\.2:\d+\//, rep('content-on-another-host'),
        { content: `${trap.url}${REST_PATH}/location/${u('content-on-another-host')}?v=full` });
      add('content-not-a-url', /has no REST resource path in its content$/, rep('content-not-a-url'), { content: `http://[oops${REST_PATH}/location/${u('content-not-a-url')}` });
      add('content-far-too-long', /has a content path longer than 1024 characters$/, rep('content-far-too-long'),
        { content: `${REST_PATH}/location/${u('content-far-too-long')}?v=full&pad=${'p'.repeat(2000)}` });
      add('unknown-resource', /^unknown resource "a{64}"$/, null, { resource: 'a'.repeat(100) });
      add('origin-not-a-node-id', /has an invalid sync:origin "o{40}"$/, rep('origin-not-a-node-id'), { origin: 'o'.repeat(100) });
      add('origin-with-markup', /has an invalid sync:origin "\\"><img src=x>"$/, rep('origin-with-markup'), { origin: '"><img src=x>' });
      add('sql-looking', undefined, rep('sql-looking', SQLISH));
      add('good', undefined, rep('good'));

      const page = feedPage(evil.url, 'all', entries);
      evil.page('all', 1, page);
      evil.page('all', 'recent', page);
      const r = await run(['subscribe', '--once', '--db', hq.url, '--node-id', 'hq', '--max-attempts', '1', '--feed', evil.feedUrl('all')]);
      out = r.out;
      assert.equal(r.code, 0, r.out);
      dead = (await run(['failed', 'list', '--json', '--db', hq.url])).out.trim().split('\n').map((l) => JSON.parse(l) as InboxRow);
    });
    after(async () => {
      killAll();
      await Promise.all([evil.stop(), trap.stop()]);
      await hq?.drop();
    });

    test('every broken resource is a dead letter whose error names it and says what is wrong', () => {
      const failing = cases.filter((c) => c.error);
      assert.match(out, new RegExp(`caught up: ${cases.length - failing.length} applied, 0 waiting for a retry, ${failing.length} dead letters`));
      for (const c of failing) {
        const row = dead.find((d) => d.entryId === entryId(c.name));
        assert.ok(row, `${c.name}: no dead letter among ${dead.map((d) => d.entryId).join(' ')}`);
        assert.match(row.lastError ?? '', c.error!, c.name);
        assert.equal(row.feedUrl, evil.feedKey('all'));
      }
      assert.equal(dead.length, failing.length);
    });

    test('`atomsync failed list` shows them to a person', async () => {
      const list = await run(['failed', 'list', '--db', hq.url]);
      assert.match(list.out, new RegExp(`^${dead.length} dead letters:`, 'm'));
      assert.match(list.out, /ReferenceCycleError: reference cycle: location\//);
      assert.match(list.out, new RegExp(`location ${u('invalid-json')} +UPDATED|location ${u('invalid-json')} +CREATED`));
    });

    test('two locations that are each the other\'s parent arrive whole, as the publisher has them', async () => {
      const rows = await queryRows<{ u: string; p: string }>(hq.pool,
        'SELECT l.uuid AS u, p.uuid AS p FROM location l JOIN location p ON p.location_id = l.parent_location WHERE l.uuid IN (?, ?) ORDER BY l.name', [u('cycle'), u('cycle-partner')]);
      assert.deepEqual(rows.map((r) => [r.u, r.p]), [[u('cycle'), u('cycle-partner')], [u('cycle-partner'), u('cycle')]]);
    });

    test('SQL-looking values are stored exactly as sent, never run', async () => {
      const [row] = await queryRows<Record<string, string>>(hq.pool,
        'SELECT name, description, address1, city_village, postal_code, country FROM location WHERE uuid = ?', [u('sql-looking')]);
      assert.deepEqual(row, {
        name: SQLISH.name, description: SQLISH.description, address1: SQLISH.address1,
        city_village: SQLISH.cityVillage, postal_code: SQLISH.postalCode, country: SQLISH.country,
      });
      assert.ok(Number((await queryRows<{ n: number }>(hq.pool, 'SELECT COUNT(*) AS n FROM users'))[0].n) > 0, 'users still has its rows');
    });

    test('the good location after them on the same feed arrived, and nothing broken did', async () => {
      const names = (await queryRows<{ name: string }>(hq.pool, `SELECT name FROM location WHERE name LIKE 'hostile-%' ORDER BY name`)).map((r) => r.name);
      assert.deepEqual(names, ['hostile-cycle', 'hostile-good', 'hostile-partner']); // the cycle is not broken data: it is written whole
      assert.equal(Number((await queryRows<{ n: number }>(hq.pool, `SELECT last_position AS n FROM atomsync_marker`))[0].n), entries.length, 'the marker is past every entry');
    });

    test('nothing was fetched from another host', () => {
      assert.deepEqual(trap.requests, []);
    });
  });
}
