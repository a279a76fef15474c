// Long polling from the subscriber's side (SPEC.md, "Long polling"), against a real
// publisher process and MariaDB: a caught-up feed is asked with x-atomsync-wait, so a
// change reaches HQ without waiting for the poll interval, an idle feed costs one
// request per wait, and stop() does not wait for a held poll.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { queryRows } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { LONG_POLL_HEADER } from '../shared/protocol.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { seedNode } from '../tools/seed/index.ts';
import { Subscriber, nextPassInMs } from '../subscriber/subscriber.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { eventually, killAll, startPublisher } from './helpers/processes.ts';

const count = async (db: TestDb, sql: string, p: unknown[] = []) => Number((await queryRows<{ n: number }>(db.pool, sql, p))[0].n);

test('when the next pass starts', () => {
  const caughtUp = { caughtUp: true, entries: 0, pages: 0 };
  const source = (waitedForNews: boolean, canWaitForNews: boolean) => ({ waitedForNews, canWaitForNews }) as never;
  assert.equal(nextPassInMs({ ...caughtUp, caughtUp: false }, source(false, false), 1000, 20), 0, 'behind: on at once');
  assert.equal(nextPassInMs(caughtUp, source(true, true), 1000, 20), 0, 'the publisher held the poll: it did the waiting');
  assert.equal(nextPassInMs(caughtUp, source(false, true), 1000, 20), 1000, 'a poll answered at once (no long polling there): the interval');
  assert.equal(nextPassInMs({ ...caughtUp, pages: 1 }, source(false, true), 1000, 20), 0, 'just read the working page: the next poll can be held');
  assert.equal(nextPassInMs({ ...caughtUp, pages: 1 }, source(false, false), 1000, 20), 1000, 'without an ETag to hold a poll on: the interval');
  assert.equal(nextPassInMs({ ...caughtUp, pages: 1 }, source(false, true), 1000, 0), 1000, 'long polling turned off');
});

describe('long polling a caught-up feed', { timeout: 180_000 }, () => {
  let clinic: TestDb, hq: TestDb;
  let feed = '';
  before(async () => {
    [clinic, hq] = await Promise.all([freshDatabase('lp_clinic'), freshDatabase('lp_hq')]);
    await migrate(clinic.pool, 'field-a');
    await migrate(hq.pool, 'hq');
    await seedNode(clinic.pool, { patients: 1, seed: 'long-poll' });
    const pub = await startPublisher(clinic.url);
    feed = `http://hq:hq-secret@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/location/recent`;
  });
  after(async () => {
    killAll();
    await Promise.all([clinic?.drop(), hq?.drop()]);
  });

  test('a change arrives without the poll interval, an idle feed costs one request a wait, and stop() does not wait', async () => {
    // Every request to `recent`, and whether it asked to be held.
    const recent: boolean[] = [];
    const dispatcher = new Agent().compose((dispatch: Dispatcher['dispatch']) => (opts, handler) => {
      if (String(opts.path).endsWith('/recent')) recent.push(LONG_POLL_HEADER in ((opts.headers ?? {}) as Record<string, string>));
      return dispatch(opts, handler);
    });
    // A 30 s poll interval: a change seen within seconds was not found by polling.
    const sub = new Subscriber({ dbUrl: hq.url, feeds: [feed], pollMs: 30_000, longPollS: 3, http: { dispatcher } }, silentLogger);
    await sub.start();
    const running = sub.run();
    try {
      const events = await count(clinic, "SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = 'location'");
      await eventually(async () => (await count(hq, 'SELECT COALESCE(MAX(last_position), 0) AS n FROM atomsync_marker')) >= events && recent.at(-1) === true,
        60_000, 'caught up and long polling');

      const idleFrom = recent.length;
      await new Promise((r) => setTimeout(r, 7_000));
      const idle = recent.slice(idleFrom);
      assert.ok(idle.length >= 2 && idle.length <= 4, `${idle.length} polls of recent in 7 s of quiet with a 3 s wait`);
      assert.ok(idle.every((held) => held), 'each asked to be held');

      const name = `long-poll-${Date.now()}`;
      const t0 = Date.now();
      await clinic.pool.query('INSERT INTO location (name, creator, date_created, uuid) VALUES (?, 1, UTC_TIMESTAMP(), UUID())', [name]);
      await eventually(async () => (await count(hq, 'SELECT COUNT(*) AS n FROM location WHERE name = ?', [name])) === 1, 25_000, 'the new location at HQ');
      const took = Date.now() - t0;
      assert.ok(took < 10_000, `the change took ${took} ms with a 30 s poll interval`);
    } finally {
      const t1 = Date.now();
      await sub.stop();
      await running;
      await sub.close();
      assert.ok(Date.now() - t1 < 3_000, `stop() took ${Date.now() - t1} ms while a poll was held`);
    }
  });
});
