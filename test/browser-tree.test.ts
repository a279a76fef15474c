// Each node's place in the tree and its conflicts, in a real browser (Debian's Chromium through
// playwright-core), on real processes: a district (parent) and a clinic (child). The district
// reads the clinic's `all` feed (up); the clinic reads the district's feed as its catchment
// (down). The publishers' root pages and the clinic's status page draw the picture; a patient
// renamed at both nodes in the same second makes a real conflict at the clinic, which its status
// page shows side by side, and "Keep the other" writes the other version as the clinic's own
// change, which the district then receives. Screenshots go to /tmp/atomsync-tree-shots/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { queryRows } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { atomsync, eventually, killAll, startPublisher, waitForOutput } from './helpers/processes.ts';
import type { Proc } from './helpers/processes.ts';
import { dropQueues } from './helpers/queues.ts';

const CHROMIUM = process.env.ATOMSYNC_TEST_CHROMIUM ?? '/usr/bin/chromium';
const REDIS = process.env.ATOMSYNC_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const SHOTS = '/tmp/atomsync-tree-shots/';
const USERS = 'up:up-secret,down:down-secret';
const ADMIN = { username: 'admin', password: 'pw' };
type Pub = Awaited<ReturnType<typeof startPublisher>>;

describe('the tree and conflicts on both admin UIs, in a browser', { timeout: 300_000 }, () => {
  let parent: TestDb, child: TestDb;
  let pubParent: Pub, pubChild: Pub;
  let up: Proc;
  let statusUrl: string;
  let root: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const queues: string[] = [];
  const tag = `${process.pid}-${Date.now()}`;
  const rows = <T>(db: TestDb, sql: string, p: unknown[] = []) => queryRows<T>(db.pool, sql, p);
  const feedOf = (pub: Pub, user: string) => `http://${user}:${user}-secret@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/all/recent`;
  const subscribe = (db: TestDb, node: string, feed: string, extra: string[] = []) => {
    const queue = `atomsync-test-btree-${node}-${tag}-${queues.length}`;
    queues.push(queue);
    return atomsync(['subscribe', '--db', db.url, '--node-id', node, '--redis', REDIS, '--queue', queue, '--poll-ms', '300', '--feed', feed, ...extra]);
  };
  const pageAs = async (credentials: { username: string; password: string }): Promise<Page> => {
    const context = await browser.newContext({ httpCredentials: credentials, viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    return context.newPage();
  };
  const edge = (page: Page, side: string, flow: string, peer: string) => page.locator(`svg.tree-svg g.edge[data-side="${side}"][data-flow="${flow}"][data-peer="${peer}"]`);
  const givenName = async (db: TestDb, uuid: string) =>
    (await rows<{ g: string }>(db, 'SELECT n.given_name AS g FROM person_name n JOIN person pe ON pe.person_id = n.person_id WHERE pe.uuid = ? AND n.preferred = 1', [uuid]))[0]?.g;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set ATOMSYNC_TEST_CHROMIUM`);
    mkdirSync(SHOTS, { recursive: true });
    [parent, child] = await Promise.all([freshDatabase('btree_district'), freshDatabase('btree_clinic')]);
    await migrate(child.pool, 'clinic-1');
    await migrate(parent.pool, 'district');
    await seedNode(child.pool, { patients: 4, seed: 'browser-tree' });
    [{ u: root }] = await rows<{ u: string }>(child, 'SELECT uuid AS u FROM location WHERE parent_location IS NULL ORDER BY location_id LIMIT 1');
    [pubParent, pubChild] = [await startPublisher(parent.url, { users: USERS }), await startPublisher(child.url, { users: USERS })];
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    killAll();
    await dropQueues(queues, REDIS);
    await Promise.all([parent, child].map((d) => d?.drop()));
  });

  test('the picture on the publishers and the status page; a real conflict resolved with "Keep the other"', async () => {
    // Up: the district reads the clinic's all feed, until it holds the clinic's patients (and so its locations).
    up = subscribe(parent, 'district', feedOf(pubChild, 'up'));
    const patients = async (db: TestDb) => (await rows<{ u: string }>(db, 'SELECT pe.uuid AS u FROM patient p JOIN person pe ON pe.person_id = p.patient_id')).map((r) => r.u);
    const clinicPatients = await patients(child);
    await eventually(async () => (await patients(parent)).length === clinicPatients.length, 90_000, "the clinic's patients to reach the district");
    // Down: the clinic reads the district's feed as its catchment, with its status page.
    const down = subscribe(child, 'clinic-1', feedOf(pubParent, 'down'), ['--catchment', root, '--http-port', '0', '--admin-users', `${ADMIN.username}:${ADMIN.password}`]);
    statusUrl = await waitForOutput(down, /^status page at (http:\/\/127\.0\.0\.1:[0-9]+\/)$/m, 30_000);
    const catchmentFeed = `catchment~${root.toLowerCase()}`;
    const status = await pageAs(ADMIN);

    // The clinic's status page: the district above twice, read as a catchment (down) and reading the clinic's all (up), named by the node id it sends.
    await eventually(async () => {
      await status.goto(statusUrl);
      const downward = edge(status, 'parent', 'down', `127.0.0.1:${pubParent.port}`);
      return (await downward.count()) === 1 && (await downward.getAttribute('data-state')) === 'ok' && (await edge(status, 'parent', 'up', 'district').count()) === 1;
    }, 60_000, "the clinic's status page to show both edges to the district").catch(async (err) => {
      throw new Error(`${(err as Error).message}\n${await status.locator('svg.tree-svg').innerHTML().catch(() => 'no picture')}`);
    });
    const downEdge = edge(status, 'parent', 'down', `127.0.0.1:${pubParent.port}`);
    assert.equal(await downEdge.getAttribute('data-feed'), catchmentFeed);
    assert.match(await downEdge.textContent() ?? '', /catchment [0-9a-f]{8}[\s\S]*↓ down · HTTP/);
    assert.match(await edge(status, 'parent', 'up', 'district').textContent() ?? '', /all[\s\S]*↑ up · HTTP/);
    assert.equal(await status.locator('svg.tree-svg g.edge[data-side="child"]').count(), 0, 'the clinic has no child');
    assert.match(await status.locator('svg.tree-svg .self-name').textContent() ?? '', /clinic-1/);
    await status.screenshot({ path: `${SHOTS}status-tree.png`, fullPage: true });

    // The publishers' root pages draw the same facts from their own databases.
    const pub = await pageAs({ username: 'up', password: 'up-secret' });
    await pub.goto(`${pubParent.url}/`);
    const childEdge = edge(pub, 'child', 'up', `127.0.0.1:${pubChild.port}`);
    assert.equal(await childEdge.count(), 1, "the district's root page: the clinic below, its all feed read up");
    assert.equal(await childEdge.getAttribute('data-feed'), 'all');
    // And the clinic reading its catchment, named by the node id it sends (its position is recorded at the district).
    const readsCatchment = edge(pub, 'child', 'down', 'clinic-1');
    assert.equal(await readsCatchment.count(), 1, "the district's root page: the clinic below, reading its catchment down");
    assert.equal(await readsCatchment.getAttribute('data-feed'), catchmentFeed);
    assert.match(await pub.locator('svg.tree-svg .self-name').textContent() ?? '', /district/);
    await pub.screenshot({ path: `${SHOTS}district-root.png`, fullPage: true });
    await pub.goto(`${pubChild.url}/`);
    assert.equal(await edge(pub, 'parent', 'up', 'district').count(), 1, "the clinic's root page: the district (by the node id it sends) reading up");
    assert.equal(await edge(pub, 'parent', 'down', `127.0.0.1:${pubParent.port}`).getAttribute('data-feed'), catchmentFeed);
    await pub.screenshot({ path: `${SHOTS}clinic-root.png`, fullPage: true });

    // A conflict: the district's reader stopped (so it cannot take the clinic's version first), one
    // patient renamed at both nodes in the same second.
    await up.stop();
    const victim = clinicPatients[0]!;
    const at = new Date(Date.now() - 60_000).toISOString().slice(0, 19).replace('T', ' ');
    const rename = (db: TestDb, name: string) => db.pool.query(
      `UPDATE person_name n JOIN person pe ON pe.person_id = n.person_id SET n.given_name = ?, n.date_changed = ?, n.changed_by = 1 WHERE pe.uuid = ? AND n.preferred = 1`,
      [name, at, victim],
    );
    await Promise.all([rename(child, 'Renamed-at-clinic'), rename(parent, 'Renamed-at-district')]);
    await eventually(async () => (await rows(child, 'SELECT id FROM atomsync_conflict WHERE uuid = ?', [victim])).length > 0, 60_000, 'the conflict at the clinic');
    const [conflict] = await rows<{ id: number; winner: string }>(child, 'SELECT id, winner FROM atomsync_conflict WHERE uuid = ?', [victim]);
    const kept = await givenName(child, victim);
    const other = kept === 'Renamed-at-clinic' ? 'Renamed-at-district' : 'Renamed-at-clinic';
    assert.match(kept ?? '', /^Renamed-at-/);

    await status.goto(statusUrl);
    assert.equal((await status.locator('#conflicts-open').innerText()).trim(), '1', 'the count on the main page');
    await status.locator(`#conflict-${conflict.id} a`, { hasText: `#${conflict.id}` }).click();
    await status.waitForURL(new RegExp(`/conflicts/${conflict.id}$`));
    const nameRow = status.locator('table.versions tr.differs', { hasText: 'givenName' });
    assert.ok((await nameRow.count()) >= 1, 'the name is marked as differing');
    const cells = await nameRow.first().locator('td').allInnerTexts();
    assert.deepEqual(cells.slice(1).map((c) => JSON.parse(c)), [kept, other], 'kept on the left, the other on the right');
    assert.ok((await status.locator('table.versions tr:not(.differs)', { hasText: 'uuid' }).count()) >= 1, 'fields that agree are shown unmarked');
    assert.match(await status.locator('#why').innerText(), /same time .* greater content hash/);
    await status.screenshot({ path: `${SHOTS}conflict-open.png`, fullPage: true });

    // This node's own changes of the patient: in its outbox (origin not set yet), or published by its relay under its node id.
    const ownEvents = async () => {
      const [o] = await rows<{ n: number }>(child, 'SELECT COUNT(*) AS n FROM atomsync_outbox WHERE uuid = ? AND origin IS NULL', [victim]);
      const [e] = await rows<{ n: number }>(child, "SELECT COUNT(*) AS n FROM atomsync_event WHERE uuid = ? AND origin = 'clinic-1'", [victim]);
      return Number(o!.n) + Number(e!.n);
    };
    await eventually(async () => (await rows(child, 'SELECT id FROM atomsync_outbox')).length === 0, 30_000, "the clinic's relay to publish its outbox");
    const before = await ownEvents();
    await status.getByRole('button', { name: 'Keep the other' }).click();
    await status.waitForURL(new RegExp(`/conflicts/${conflict.id}\\?resolved=other$`));
    assert.match(await status.getByRole('status').innerText(), /the other version is now this node’s own change/);
    assert.match(await status.locator('h2 .pill').innerText(), /resolved/);
    assert.equal(await status.getByRole('button', { name: 'Keep the other' }).count(), 0, 'no buttons once resolved');
    await status.screenshot({ path: `${SHOTS}conflict-resolved.png`, fullPage: true });
    const [settled] = await rows<{ resolution: string; resolved_at: string | null }>(child, 'SELECT resolution, resolved_at FROM atomsync_conflict WHERE id = ?', [conflict.id]);
    assert.equal(settled.resolution, 'other');
    assert.ok(settled.resolved_at);
    assert.equal(await givenName(child, victim), other, "the other version is the clinic's state");
    await eventually(async () => (await rows(child, 'SELECT id FROM atomsync_outbox')).length === 0, 30_000, "the clinic's relay to publish the change");
    assert.ok((await ownEvents()) > before, "published as the clinic's own change: a new event of its own origin");

    // It wins at the district once the district reads the clinic again.
    up = subscribe(parent, 'district', feedOf(pubChild, 'up'));
    await eventually(async () => (await givenName(parent, victim)) === other, 60_000, 'the chosen version to reach the district');
    await status.goto(statusUrl);
    assert.equal((await status.locator('#conflicts-open').innerText()).trim(), '0');
  });
});
