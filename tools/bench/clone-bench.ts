// `npm run bench:clone`: a new node cloned from its parent by file (issue 19), against the
// `mariadb-dump | mariadb` copy of the same rows. A parent is seeded (--patients, 4,000 by
// default); its events are numbered; then, timed apart:
//   export   `atomsync export --for clone --catchment <its top location>` (the whole catchment)
//   clone    `atomsync clone --from <bundle>` into an empty database
//   copy     `mariadb-dump | mariadb` of the synced tables into another empty database
// and `atomsync verify` checks the clone. Prints a table and a BENCH_JSON line.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dropDatabase, ensureDatabase, openPool, queryRows } from '../../shared/db.ts';
import { migrate } from '../../shared/schema/migrate.ts';
import { seedNode } from '../seed/index.ts';
import { Cleanup } from './cleanup.ts';
import { dumpAndLoad } from './sync/baseline-copy.ts';
import { Children } from './sync/children.ts';
import { SYNCED_TABLES } from './sync/db-figures.ts';
import { machineInfo } from './sync/machine-figures.ts';

const KEY = 'clone-bench-key-not-a-secret';
const say = (l: string) => process.stdout.write(l + '\n');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { patients: { type: 'string', default: '4000' }, server: { type: 'string', default: 'mysql://root@127.0.0.1:3306' }, keep: { type: 'boolean', default: false } } });
  const patients = Number(values.patients);
  const tag = `as_bench_clone_${process.pid}`;
  const url = (db: string) => `${values.server}/${db}`;
  const [parentDb, cloneDb, copyDb] = [`${tag}_parent`, `${tag}_clone`, `${tag}_copy`];
  const logDir = mkdtempSync(join(tmpdir(), 'atomsync-clone-bench-'));
  const cleanup = new Cleanup(say);
  const children = new Children(logDir);
  cleanup.add('stop processes', async () => children.close());
  for (const db of [parentDb, cloneDb, copyDb]) if (!values.keep) cleanup.add(`drop ${db}`, () => dropDatabase(url(db)));
  try {
    await ensureDatabase(url(parentDb));
    const parent = openPool(url(parentDb), { connectionLimit: 4 });
    cleanup.add('close pool', () => parent.end());
    await migrate(parent, 'parent');
    let t = Date.now();
    await seedNode(parent, { patients, seed: 'clone-bench', onProgress: (d, n) => d % 500 === 0 && say(`  seeding: ${d}/${n} patients`) });
    say(`seeded ${patients} patients in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const [top] = await queryRows<{ uuid: string }>(parent, 'SELECT uuid FROM location WHERE parent_location IS NULL ORDER BY location_id LIMIT 1');
    const bundle = join(logDir, 'clone.bundle');
    const timed = async (name: string, args: string[]) => {
      const started = Date.now();
      const c = children.atomsync(name, args, true);
      const code = await c.exited;
      if (code !== 0) throw new Error(`${name} failed (${code}):\n${c.captured()}`);
      return { ms: Date.now() - started, out: c.captured() };
    };
    process.env.ATOMSYNC_BUNDLE_KEY = KEY;
    // The relay's numbering is the publisher's work, not the export's: done first, apart.
    t = Date.now();
    await timed('number', ['export', '--db', url(parentDb), '--for', 'warm-up', '--out', join(logDir, 'warm-up.bundle')]);
    const numberMs = Date.now() - t;
    const exp = await timed('export', ['export', '--db', url(parentDb), '--for', 'clone', '--catchment', top.uuid, '--out', bundle]);
    const clone = await timed('clone', ['clone', '--from', bundle, '--db', url(cloneDb), '--node-id', 'clone']);
    await ensureDatabase(url(copyDb)); // empty: the dump creates the tables
    const copy = await dumpAndLoad(children, url(parentDb), url(copyDb), SYNCED_TABLES, 600_000);
    const verify = await timed('verify', ['verify', '--source', url(parentDb), '--target', url(cloneDb)]);
    const events = Number((/changes 1 to (\d+)/.exec(exp.out) ?? [])[1]);
    const ratio = (exp.ms + clone.ms) / copy.wallMs;
    const figures = {
      machine: await machineInfo(parent), patients, events, bundleBytes: statSync(bundle).size, numberingMs: numberMs,
      exportMs: exp.ms, cloneMs: clone.ms, copyMs: copy.wallMs, copyBytes: copy.bytes, ratio: Math.round(ratio * 100) / 100,
      verify: verify.out.trim().split('\n').pop(),
    };
    say('');
    say(`clone of a ${patients}-patient catchment (the seeded node's top location), the bundle, defaults`);
    say(`  events in the bundle             ${events}  (${(figures.bundleBytes / 1024 / 1024).toFixed(1)} MiB)`);
    say(`  export (atomsync export)         ${(exp.ms / 1000).toFixed(1)} s`);
    say(`  clone (atomsync clone)           ${(clone.ms / 1000).toFixed(1)} s`);
    say(`  export + clone                   ${((exp.ms + clone.ms) / 1000).toFixed(1)} s`);
    say(`  mariadb-dump | mariadb           ${(copy.wallMs / 1000).toFixed(1)} s  (${(copy.bytes / 1024 / 1024).toFixed(1)} MiB of SQL)`);
    say(`  ratio (export + clone) / copy    ${figures.ratio}x`);
    say(`  verify                           ${figures.verify}`);
    say(`BENCH_JSON ${JSON.stringify(figures)}`);
  } finally {
    await cleanup.run();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
