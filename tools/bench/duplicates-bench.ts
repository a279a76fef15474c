// Benchmark of `atomsync duplicates scan`: writes a generated register with known duplicates
// (tools/seed/duplicates.ts) into a bench database and times a scan of it, run as its own
// process so its peak RSS is the scan's alone. Prints patients, pairs compared, candidates,
// seconds and peak RSS, and the precision and recall at the default thresholds. Drops the
// database after, unless --keep.
//
//   npm run bench:duplicates -- [--patients 150000] [--keep] [--server mysql://root@127.0.0.1:3306]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dropDatabase, ensureDatabase, openPool, queryRows } from '../../shared/db.ts';
import { migrate } from '../../shared/schema/migrate.ts';
import { scanDuplicates } from '../../subscriber/duplicates/scan.ts';
import type { ScanReport } from '../../subscriber/duplicates/scan.ts';
import { listCandidates, orderPair } from '../../subscriber/duplicates/store.ts';
import { writeDuplicatePopulation } from '../seed/duplicates.ts';
import { Cleanup } from './cleanup.ts';

const say = (l: string) => process.stdout.write(`${l}\n`);

/** The child: scans and prints its report and peak RSS as one JSON line. */
async function scanOnly(url: string): Promise<void> {
  const pool = openPool(url, { connectionLimit: 2 });
  try {
    const report = await scanDuplicates(pool, { progress: (l) => process.stderr.write(`  scan: ${l}\n`) });
    process.stdout.write(`${JSON.stringify({ report, maxRssKb: process.resourceUsage().maxRSS })}\n`);
  } finally {
    await pool.end();
  }
}

function timedScan(url: string): Promise<{ report: ScanReport; maxRssKb: number; wallMs: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--scan-only', url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the scan exited with ${code}`));
      resolve({ ...JSON.parse(out.trim().split('\n').pop()!), wallMs: Date.now() - started });
    });
  });
}

/** Triggers would copy every generated row into the outbox; the bench measures the scan, not the seeding. */
async function dropTriggers(pool: ReturnType<typeof openPool>): Promise<void> {
  const rows = await queryRows<{ t: string }>(pool, 'SELECT TRIGGER_NAME AS t FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()');
  for (const r of rows) await pool.query(`DROP TRIGGER \`${r.t}\``);
}

async function bench(patients: number, keep: boolean, server: string): Promise<void> {
  const url = `${server}/as_bench_dup_${randomBytes(4).toString('hex')}`;
  const cleanup = new Cleanup(say);
  process.once('SIGINT', () => void cleanup.run().then(() => process.exit(130)));
  await ensureDatabase(url);
  if (!keep) cleanup.add('drop the bench database', () => dropDatabase(url));
  const pool = openPool(url, { connectionLimit: 4 });
  cleanup.add('close the pool', () => pool.end());
  try {
    await migrate(pool, 'bench-hq', { snapshot: false });
    await dropTriggers(pool);
    const t0 = Date.now();
    const people = Math.round(patients / 1.1);
    const written = await writeDuplicatePopulation(pool, { people, duplicateShare: 0.1, sameIdentifierShare: 0.2, seed: 'bench' }, (l) => say(`  ${l}`));
    say(`generated ${written.patients} patients (${written.truth.length} known duplicate pairs) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const { report, maxRssKb, wallMs } = await timedScan(url);
    const truth = new Set(written.truth.map((p) => orderPair(p.a, p.b).join(' ')));
    const found = await listCandidates(pool, { status: 'all' });
    const hits = found.filter((c) => truth.has(`${c.patientA} ${c.patientB}`)).length;
    const certain = found.filter((c) => c.class === 'certain');
    const certainPrecision = certain.filter((c) => truth.has(`${c.patientA} ${c.patientB}`)).length / Math.max(1, certain.length);
    say(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`);
    say(`patients ${report.patients}, probable from score ${report.probableAt}, blocks ${report.blocks}, pairs compared ${report.pairsCompared}, oversized blocks skipped ${report.oversized.length}`);
    say(`candidates ${report.certain + report.probable} (certain ${report.certain}, precision ${certainPrecision.toFixed(3)}; probable ${report.probable}); all: precision ${(hits / Math.max(1, found.length)).toFixed(3)}, recall ${(hits / truth.size).toFixed(3)}`);
    say(`scan ${(report.ms.total / 1000).toFixed(1)} s (read ${(report.ms.read / 1000).toFixed(1)}, compare ${(report.ms.compare / 1000).toFixed(1)}, write ${(report.ms.write / 1000).toFixed(1)}); process wall ${(wallMs / 1000).toFixed(1)} s; peak RSS ${(maxRssKb / 1024).toFixed(0)} MiB`);
    const json = { patients: report.patients, pairsCompared: report.pairsCompared, blocks: report.blocks, certain: report.certain, probable: report.probable, probableAt: report.probableAt, certainPrecision, precision: hits / Math.max(1, found.length), recall: hits / truth.size, scanMs: report.ms, wallMs, peakRssMiB: Math.round(maxRssKb / 1024) };
    say(`BENCH_JSON ${JSON.stringify(json)}`);
    if (keep) say(`kept: ${url}`);
  } finally {
    await cleanup.run();
  }
}

const { values, positionals } = parseArgs({
  options: { patients: { type: 'string', default: '150000' }, keep: { type: 'boolean', default: false }, server: { type: 'string', default: 'mysql://root@127.0.0.1:3306' }, 'scan-only': { type: 'boolean', default: false } },
  allowPositionals: true,
});
if (values['scan-only']) await scanOnly(positionals[0]);
else await bench(Number(values.patients), values.keep, values.server);
