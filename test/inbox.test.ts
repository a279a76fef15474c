// The inbox against the real MariaDB: joins keep one row per resource; newer applied events settle older rows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrate } from '../shared/schema/migrate.ts';
import { Inbox } from '../subscriber/inbox.ts';
import type { InboxEvent } from '../subscriber/inbox.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';

let db: TestDb;
let inbox: Inbox;
before(async () => {
  db = await freshDatabase('inbox');
  await migrate(db.pool, 'hq');
  inbox = new Inbox(db.pool);
});
after(async () => db.drop());

const ev = (uuid: string, position: number, feedUrl = 'http://a/feed'): InboxEvent => ({
  resource: 'obs', uuid, feedUrl, entryId: `tag:${uuid}:${position}`, contentPath: `/openmrs/ws/rest/v1/obs/${uuid}`,
  action: 'CREATED', origin: 'field-a', position,
});

test('a later event joins the waiting row of its resource, and revives a dead one', async () => {
  const u = crypto.randomUUID();
  const id = await inbox.park(ev(u, 5), 'HttpStatusError: 404', { dead: true, delayMs: 0 });
  assert.equal((await inbox.get(id))!.status, 'dead');
  assert.equal(await inbox.join(ev(u, 9)), id);
  const row = (await inbox.get(id))!;
  assert.equal(row.status, 'pending');
  assert.equal(row.attempts, 0);
  assert.equal(row.position, 9);
  assert.equal(await inbox.join(ev(crypto.randomUUID(), 1)), null, 'nothing to join');
  assert.deepEqual([...(await inbox.waiting([{ resource: 'obs', uuid: u }]))], [`obs/${u}`]);
});

test('an applied event settles older rows of the same resource from the same feed only', async () => {
  const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  await inbox.park(ev(a, 5), 'x', { dead: false, delayMs: 0 });
  await inbox.park(ev(b, 5, 'http://b/feed'), 'x', { dead: false, delayMs: 0 });
  await inbox.park(ev(c, 8), 'x', { dead: false, delayMs: 0 });
  const settled = await inbox.settleOlder([
    { resource: 'obs', uuid: a, feedUrl: 'http://a/feed', position: 7 }, // older row: settled
    { resource: 'obs', uuid: b, feedUrl: 'http://a/feed', position: 7 }, // another feed's row: kept
    { resource: 'obs', uuid: c, feedUrl: 'http://a/feed', position: 7 }, // a newer row: kept
  ]);
  assert.equal(settled, 1);
  const left = await inbox.waiting([a, b, c].map((uuid) => ({ resource: 'obs', uuid })));
  assert.deepEqual([...left].sort(), [`obs/${b}`, `obs/${c}`].sort());
});
