// Sync by file (issue 19), end to end through the CLI on the real MariaDB: a clinic and HQ that
// exchange only files for several rounds while both keep writing, with a bundle lost on the way,
// one imported twice, one altered, one cut short, one signed with another key and the parts of
// one imported out of order; then they switch to HTTP. At the end `verify` is clean both ways,
// and no change was applied twice: a node publishes another node's change when it applies it, so
// it holds at most as many events of that origin as the origin made.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { queryRows } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { openLiveContext, seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { startLiveWrites } from './helpers/live-writes.ts';
import { killAll, run, startPublisher } from './helpers/processes.ts';

const KEY = { ATOMSYNC_BUNDLE_KEY: 'clinic-and-hq-share-this-key' };

describe('sync by file: a clinic and HQ exchange bundles and acknowledgements, then switch to HTTP', { timeout: 600_000 }, () => {
  let clinic: TestDb;
  let hq: TestDb;
  const dir = mkdtempSync(join(tmpdir(), 'atomsync-bundle-'));
  const file = (name: string) => join(dir, name);
  const count = async (db: TestDb, sql: string) => Number((await queryRows<{ n: number }>(db.pool, sql))[0].n);
  const cli = (args: string[]) => run(args, 180_000, KEY);
  /** Writes at both nodes for a while, as clinics do between two trips. */
  const work = async (ms: number, round: string) => {
    const writers = [];
    for (const [db, name] of [[clinic, 'clinic'], [hq, 'hq']] as const) {
      writers.push(startLiveWrites(db.pool, await openLiveContext(db.pool, { seed: `bundle-${name}`, stream: `${round}-${name}` }), 150));
    }
    await new Promise((r) => setTimeout(r, ms));
    for (const w of writers) await w.stop();
  };
  /** One trip: `from` exports for `to`, `to` imports and acknowledges, `from` takes the acknowledgement. */
  const trip = async (from: [TestDb, string], to: [TestDb, string], name: string) => {
    const e = await cli(['export', '--db', from[0].url, '--for', to[1], '--out', file(name)]);
    assert.equal(e.code, 0, e.out);
    if (/nothing to send/.test(e.out)) return false;
    const i = await cli(['import', '--db', to[0].url, '--ack-out', file(`${name}.ack`), file(name)]);
    assert.equal(i.code, 0, i.out);
    const a = await cli(['import', '--db', from[0].url, file(`${name}.ack`)]);
    assert.equal(a.code, 0, a.out);
    return true;
  };

  before(async () => {
    clinic = await freshDatabase('bundle_clinic');
    hq = await freshDatabase('bundle_hq');
    await migrate(clinic.pool, 'clinic-f');
    await migrate(hq.pool, 'hq-f');
    await seedNode(clinic.pool, { patients: 6, seed: 'bundle-clinic' });
    await seedNode(hq.pool, { patients: 2, seed: 'bundle-hq' });
  });
  after(async () => {
    killAll();
    await clinic?.drop();
    await hq?.drop();
  });

  test('rounds of files with faults, then HTTP: verify clean both ways, nothing applied twice', async (t) => {
    const C: [TestDb, string] = [clinic, 'clinic-f'];
    const H: [TestDb, string] = [hq, 'hq-f'];
    assert.ok(await trip(C, H, 'r1-c.bundle'));
    assert.ok(await trip(H, C, 'r1-h.bundle'));

    // A bundle lost on the way: exported, never imported. The next export starts after what HQ
    // acknowledged, so it carries the lost changes too.
    await work(2000, 'r2');
    const lost = await cli(['export', '--db', clinic.url, '--for', 'hq-f', '--out', file('r2-lost.bundle')]);
    assert.equal(lost.code, 0, lost.out);
    await work(2000, 'r3');
    assert.ok(await trip(C, H, 'r3-c.bundle'));
    assert.ok(await trip(H, C, 'r3-h.bundle'));

    // The same bundle again, and the lost one found later: both already held, nothing changes.
    const before = await count(hq, 'SELECT COUNT(*) AS n FROM atomsync_event');
    for (const again of ['r3-c.bundle', 'r2-lost.bundle']) {
      const r = await cli(['import', '--db', hq.url, file(again)]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /already imported/);
    }
    assert.equal(await count(hq, 'SELECT COUNT(*) AS n FROM atomsync_event'), before, 'importing again published nothing');

    // Altered, cut short, signed with another key, header changed: each refused whole, nothing applied.
    await work(2000, 'r4');
    const e4 = await cli(['export', '--db', clinic.url, '--for', 'hq-f', '--out', file('r4.bundle')]);
    assert.equal(e4.code, 0, e4.out);
    const good = readFileSync(file('r4.bundle'));
    const flipped = Buffer.from(good);
    flipped[flipped.length - 20] ^= 0x01;
    writeFileSync(file('r4-flipped.bundle'), flipped);
    writeFileSync(file('r4-cut.bundle'), good.subarray(0, Math.floor(good.length * 0.7)));
    writeFileSync(file('r4-header.bundle'), Buffer.from(good.toString('latin1').replace('"peer":"hq-f"', '"peer":"hq-g"'), 'latin1'));
    const marker = () => count(hq, "SELECT COALESCE(MAX(last_position), 0) AS n FROM atomsync_marker WHERE feed_url = 'bundle:clinic-f'");
    const at = await marker();
    for (const [bad, why] of [['r4-flipped.bundle', /checksum/], ['r4-cut.bundle', /cut short/], ['r4-header.bundle', /authentication tag/]] as const) {
      const r = await cli(['import', '--db', hq.url, file(bad)]);
      assert.equal(r.code, 1, `${bad} refused:\n${r.out}`);
      assert.match(r.out, why);
    }
    const otherKey = await run(['import', '--db', hq.url, file('r4.bundle')], 60_000, { ATOMSYNC_BUNDLE_KEY: 'someone-elses-key-0000' });
    assert.equal(otherKey.code, 1, otherKey.out);
    assert.match(otherKey.out, /authentication tag/);
    assert.equal(await marker(), at, 'nothing of a refused bundle applied');

    // Parts imported out of order: the later part is refused until the earlier one is in.
    const parts = await cli(['export', '--db', clinic.url, '--for', 'hq-f', '--out', file('r4p.bundle'), '--max-size', '8k']);
    assert.equal(parts.code, 0, parts.out);
    const names = readdirSync(dir).filter((f) => f.startsWith('r4p.bundle.')).sort((a, b) => parseInt(a.slice(11)) - parseInt(b.slice(11)));
    t.diagnostic(`--max-size 8k: ${names.length} parts`);
    assert.ok(names.length >= 2, parts.out);
    const second = await cli(['import', '--db', hq.url, file(names[1])]);
    assert.equal(second.code, 1, second.out);
    assert.match(second.out, /import the bundle\(s\) before it first/);
    const all = await cli(['import', '--db', hq.url, '--ack-out', file('r4p.ack'), ...names.map(file).reverse()]);
    assert.equal(all.code, 0, all.out);
    assert.equal((await cli(['import', '--db', clinic.url, file('r4p.ack')])).code, 0);

    // Settle by file: trips until neither side has anything to send.
    for (let i = 0; i < 4; i++) if (!(await trip(C, H, `s${i}-c.bundle`)) && !(await trip(H, C, `s${i}-h.bundle`))) break;
    const peers = await cli(['peers', '--db', clinic.url]);
    assert.match(peers.out, /hq-f\s+\d+\s+\d+\s+0\s/, peers.out);
    for (const [s, d] of [[clinic, hq], [hq, clinic]]) {
      const v = await run(['verify', '--source', s.url, '--target', d.url], 180_000);
      assert.equal(v.code, 0, v.out.split('\n').filter((l) => !l.startsWith('checked ')).join('\n'));
    }

    // Switch to HTTP: each reads the other's feed; what came by file is not applied again.
    await work(2000, 'r5');
    const pubs = [await startPublisher(clinic.url, { users: 'peer:peer-secret' }), await startPublisher(hq.url, { users: 'peer:peer-secret' })];
    // The clinic's root page shows HQ among its peers by file, as `atomsync peers` does.
    const root = await fetch(pubs[0].url + '/', { headers: { accept: 'application/json', authorization: `Basic ${Buffer.from('peer:peer-secret').toString('base64')}` } });
    const peerRows = ((await root.json()) as { peers?: Array<{ peer: string; ackedTo: number }> }).peers ?? [];
    assert.ok(peerRows.some((p) => p.peer === 'hq-f' && p.ackedTo > 0), JSON.stringify(peerRows));
    const feed = (p: { port: number }) => `http://peer:peer-secret@127.0.0.1:${p.port}/openmrs/ws/atomfeed/all/recent`;
    for (let i = 0; i < 2; i++) {
      for (const [db, name, pub] of [[hq, 'hq-f', pubs[0]], [clinic, 'clinic-f', pubs[1]]] as const) {
        const r = await run(['subscribe', '--once', '--db', db.url, '--node-id', name, '--feed', feed(pub)], 180_000);
        assert.equal(r.code, 0, r.out);
      }
    }
    for (const [s, d] of [[clinic, hq], [hq, clinic]]) {
      const v = await run(['verify', '--source', s.url, '--target', d.url], 180_000);
      assert.equal(v.code, 0, v.out.split('\n').filter((l) => !l.startsWith('checked ')).join('\n'));
    }
    for (const [db, other, origin] of [[hq, clinic, 'clinic-f'], [clinic, hq, 'hq-f']] as const) {
      const made = await count(other, `SELECT COUNT(*) AS n FROM atomsync_event WHERE origin = '${origin}'`);
      const passedOn = await count(db, `SELECT COUNT(*) AS n FROM atomsync_event WHERE origin = '${origin}'`);
      t.diagnostic(`${origin}: made ${made} events, the other node published ${passedOn} of them on applying them`);
      assert.ok(passedOn <= made, `${passedOn} events of ${origin} published on applying them; it made ${made}`);
      assert.equal(await count(db, "SELECT COUNT(*) AS n FROM atomsync_inbox WHERE status = 'dead'"), 0, 'no dead letters');
    }
  });
});
