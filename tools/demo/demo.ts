// `atomsync demo`: a real sync you can watch. Two clinics are created, migrated
// and seeded; each gets an `atomsync publish` process; HQ runs `atomsync
// subscribe`. Progress is shown per feed during catch-up, then live lag while
// the clinics keep working. At the end the activity stops, HQ catches up,
// `verify` proves convergence, and every process the demo started is stopped.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropDatabase, ensureDatabase, openPool, queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { migrate } from '../../shared/schema/migrate.ts';
import {
  advanceProgramState,
  createPatient,
  createVisitWithEncounter,
  editPatientName,
  openLiveContext,
  pickEncounterId,
  pickPatientId,
  Rng,
  seedNode,
  voidEncounter,
} from '../seed/index.ts';
import type { LiveContext } from '../seed/index.ts';
import { diverges, formatReport, verify } from '../verify.ts';
import { verifyErp } from '../../subscriber/erp/erp-verify.ts';
import type { ErpDiff } from '../../subscriber/erp/erp-verify.ts';
import { ProgressDisplay, formatDuration, progressLine } from './progress.ts';
import type { FeedProgress } from './progress.ts';

export interface DemoOptions {
  dbServer: string;
  redisUrl: string;
  patients: number;
  /** Seconds of live activity after the catch-up. */
  durationS: number;
  /** Changes per second across both clinics while live. */
  changesPerS: number;
  out: (line: string) => void;
  stopSignal: Promise<string>;
}

const BIN = fileURLToPath(new URL('../../bin/atomsync.js', import.meta.url));
const USERS = 'hq:hq-demo-secret,erp:erp-demo-secret';
const HQ_CREDENTIALS = 'hq:hq-demo-secret';

interface Clinic {
  nodeId: string;
  url: string;
  pool: Pool;
  ctx?: LiveContext;
  feedUrl?: string;
  publisher?: ChildProcess;
}

export async function runDemo(o: DemoOptions): Promise<number> {
  const logDir = mkdtempSync(join(tmpdir(), 'atomsync-demo-'));
  const children: ChildProcess[] = [];
  const clinics: Clinic[] = ['field-a', 'field-b'].map((nodeId) => ({
    nodeId,
    url: `${o.dbServer}/demo_${nodeId.replace('-', '_')}`,
    pool: null as unknown as Pool,
  }));
  const hqUrl = `${o.dbServer}/demo_hq`;
  const erpUrl = `${o.dbServer}/demo_erp`;
  let hqPool: Pool | null = null;
  let erpPool: Pool | null = null;
  let interrupted = false;
  void o.stopSignal.then(() => {
    interrupted = true;
    o.out('\nstopping: finishing the activity, letting HQ catch up, then verifying (Ctrl-C again to abort)');
    process.once('SIGINT', () => {
      for (const c of children) c.kill('SIGKILL');
      process.exit(130);
    });
  });

  const spawnAtomsync = (name: string, args: string[]) => {
    const log = createWriteStream(join(logDir, `${name}.log`));
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ATOMSYNC_LOG_LEVEL: 'info' } });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    children.push(child);
    return child;
  };

  try {
    o.out(`setting up two clinics, HQ and an ERP on ${o.dbServer} (databases demo_field_a, demo_field_b, demo_hq, demo_erp; logs in ${logDir})`);
    for (const c of clinics) {
      await dropDatabase(c.url);
      await ensureDatabase(c.url);
      c.pool = openPool(c.url, { connectionLimit: 4 });
      await migrate(c.pool, c.nodeId);
      const started = Date.now();
      const r = await seedNode(c.pool, { patients: o.patients, seed: 'demo' });
      o.out(`  ${c.nodeId}: seeded ${r.patients} patients, ${r.rows} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      c.ctx = await openLiveContext(c.pool, { seed: 'demo', stream: `demo-${Date.now()}` });
    }
    await dropDatabase(hqUrl);
    await ensureDatabase(hqUrl);
    hqPool = openPool(hqUrl, { connectionLimit: 4 });
    await migrate(hqPool, 'hq');
    await dropDatabase(erpUrl);
    await ensureDatabase(erpUrl);
    erpPool = openPool(erpUrl, { connectionLimit: 2 });

    for (const c of clinics) {
      c.publisher = spawnAtomsync(`publisher-${c.nodeId}`, ['publish', '--db', c.url, '--port', '0', '--users', USERS]);
      const base = await waitForUrl(c.publisher, /publishing at (http:\/\/[^/\s]+)/);
      c.feedUrl = `${base}/openmrs/ws/atomfeed/all/recent`;
    }
    o.out('\nfeeds an admin can open (user hq, password hq-demo-secret; the ERP reads them as erp):');
    for (const c of clinics) o.out(`  ${c.nodeId}: ${c.feedUrl}`);
    o.out('');
    const feeds = clinics.flatMap((c) => ['--feed', c.feedUrl!.replace('://', `://${HQ_CREDENTIALS}@`)]);
    const subscriber = spawnAtomsync('subscriber-hq', [
      'subscribe', '--db', hqUrl, '--node-id', 'hq', '--redis', o.redisUrl, '--queue', `atomsync-demo-${process.pid}`, '--poll-ms', '250',
      '--http-port', '0', '--admin-users', 'admin:admin-demo-secret', ...feeds,
    ]);
    const statusUrl = await waitForUrl(subscriber, /status page at (http:\/\/\S+)/);
    o.out(`HQ's status page (user admin, password admin-demo-secret): ${statusUrl}\n`);

    // The ERP reads the same clinics' patient, encounter, obs, order and drug feeds, with its own credentials and markers.
    const erpFeeds = clinics.flatMap((c) => ['patient', 'encounter', 'obs', 'order', 'drug'].flatMap((cat) => ['--feed', c.feedUrl!.replace('/all/recent', `/${cat}/recent`)]));
    spawnAtomsync('erp', [
      'erp', '--db', erpUrl, '--node-id', 'erp', '--redis', o.redisUrl, '--queue', `atomsync-demo-erp-${process.pid}`,
      '--credentials', 'erp:erp-demo-secret', '--poll-ms', '250', ...erpFeeds,
    ]);

    const display = new ProgressDisplay(process.stdout);
    const progress = new Map<string, FeedProgress & { lastDone: number; lastAt: number }>();
    const started = Date.now();
    let liveSince: number | null = null;
    let changes = 0;
    const rng = Rng.from('demo', 'activity', String(started));

    for (;;) {
      if (subscriber.exitCode !== null) throw new Error(`the subscriber exited (${subscriber.exitCode}); see ${logDir}/subscriber-hq.log`);
      const lines: string[] = [];
      for (const c of clinics) lines.push(progressLine(await measure(c, hqPool, progress)));
      const all = [...progress.values()];
      if (liveSince === null && all.length === clinics.length && all.every((p) => p.caughtUpOnce)) {
        liveSince = Date.now();
        display.note(`caught up in ${formatDuration((liveSince - started) / 1000)}; now the clinics keep working for ${o.durationS} s`);
      }
      lines.push(await erpLine(erpPool!));
      lines.push(liveSince === null ? `elapsed ${formatDuration((Date.now() - started) / 1000)}` : `live for ${formatDuration((Date.now() - liveSince) / 1000)}, ${changes} changes made at the clinics`);
      display.show(lines);
      if (interrupted || (liveSince !== null && Date.now() - liveSince >= o.durationS * 1000)) break;
      if (liveSince !== null) {
        const tickEnd = Date.now() + 500;
        while (Date.now() < tickEnd && !interrupted) {
          await randomChange(rng.pick(clinics), rng);
          changes++;
          await sleep(Math.max(0, 1000 / o.changesPerS));
        }
      } else await sleep(500);
    }

    display.note('activity stopped; waiting for HQ to apply the last changes');
    const deadline = Date.now() + 120_000;
    for (;;) {
      const states = await Promise.all(clinics.map((c) => measure(c, hqPool!, progress)));
      display.show(states.map(progressLine), true);
      const [{ n: waiting }] = await queryRows<{ n: number }>(hqPool, `SELECT COUNT(*) AS n FROM atomsync_inbox WHERE status = 'pending'`);
      if (states.every((s) => s.done >= s.total) && Number(waiting) === 0) break;
      if (Date.now() > deadline) {
        display.note('HQ did not catch up within 2 minutes; verifying anyway');
        break;
      }
      await sleep(500);
    }
    o.out('\nverifying HQ against both clinics (every synced row, by uuid and content):');
    const reports = await verify(clinics.map((c) => c.url), hqUrl);
    o.out(formatReport(reports));
    // The ERP polls on its own; give it until it matches (or a minute) before judging it.
    let erp = await verifyErp(clinics, erpPool!).catch(() => null);
    for (const until = Date.now() + 60_000; Date.now() < until && !(erp && erpMatches(erp)); await sleep(1000)) {
      erp = await verifyErp(clinics, erpPool!).catch(() => null);
    }
    o.out('\nchecking the ERP against both clinics (customers, orders, order lines):');
    for (const d of erp ?? []) o.out(`  ${d.kind.padEnd(12)} ${d.total} expected, ${d.missing.length} missing, ${d.extra.length} extra, ${d.wrong.length} different`);
    const ok = !diverges(reports) && erp !== null && erpMatches(erp);
    const [{ n: dead }] = await queryRows<{ n: number }>(hqPool, `SELECT COUNT(*) AS n FROM atomsync_inbox WHERE status = 'dead'`);
    const [{ n: conflicts }] = await queryRows<{ n: number }>(hqPool, `SELECT COUNT(*) AS n FROM atomsync_conflict`);
    o.out(`\n${ok ? 'CONVERGED' : 'DIVERGED'}: ${changes} live changes, ${dead} dead letters, ${conflicts} conflicts; total ${formatDuration((Date.now() - started) / 1000)}`);
    o.out(`the databases stay for you to inspect: ${clinics.map((c) => c.url).join(', ')}, ${hqUrl}, ${erpUrl}`);
    return ok ? 0 : 1;
  } finally {
    await Promise.all(children.map((c) => stopChild(c)));
    await Promise.all([...clinics.map((c) => c.pool?.end().catch(() => undefined)), hqPool?.end().catch(() => undefined), erpPool?.end().catch(() => undefined)]);
  }

  async function randomChange(c: Clinic, rng: Rng): Promise<void> {
    const ctx = c.ctx!;
    const roll = rng.int(0, 99);
    try {
      if (roll < 30) await createPatient(c.pool, ctx);
      else if (roll < 75) {
        const p = await pickPatientId(c.pool, rng);
        if (p !== null) await createVisitWithEncounter(c.pool, ctx, p);
      } else if (roll < 85) {
        const p = await pickPatientId(c.pool, rng);
        if (p !== null) await editPatientName(c.pool, ctx, p);
      } else if (roll < 90) {
        await advanceProgramState(c.pool, ctx); // an enrolment moves to its next state
      } else {
        const e = await pickEncounterId(c.pool, rng);
        if (e !== null) await voidEncounter(c.pool, ctx, e);
      }
    } catch {
      // A random pick can race with a void; the next change goes ahead.
    }
  }
}

/** Where HQ stands on a clinic's feed: applied position against the clinic's newest event. */
async function measure(c: Clinic, hq: Pool, progress: Map<string, FeedProgress & { lastDone: number; lastAt: number }>): Promise<FeedProgress> {
  const key = c.feedUrl!;
  const [head] = await queryRows<{ n: number | null }>(c.pool, 'SELECT MAX(seq) AS n FROM atomsync_event');
  const [marker] = await queryRows<{ p: number }>(hq, 'SELECT last_position AS p FROM atomsync_marker WHERE feed_url = ?', [key]);
  const [{ parked }] = await queryRows<{ parked: number }>(hq, `SELECT COUNT(*) AS parked FROM atomsync_inbox WHERE feed_url = ? AND status = 'pending'`, [key]);
  const total = Number(head?.n ?? 0);
  const done = Math.min(total, Number(marker?.p ?? 0));
  let lagSeconds = 0;
  if (done < total) {
    const [next] = await queryRows<{ s: number }>(c.pool, 'SELECT TIMESTAMPDIFF(MICROSECOND, published_at, UTC_TIMESTAMP(3)) / 1e6 AS s FROM atomsync_event WHERE seq = ?', [done + 1]);
    lagSeconds = Math.max(0, Number(next?.s ?? 0));
  }
  const prev = progress.get(c.nodeId);
  const now = Date.now();
  const rate = prev ? ((done - prev.lastDone) * 1000) / Math.max(1, now - prev.lastAt) : 0;
  const p = {
    name: c.nodeId,
    done,
    total,
    rate: prev ? 0.7 * rate + 0.3 * prev.rate : rate,
    lagSeconds,
    caughtUpOnce: Boolean(prev?.caughtUpOnce) || (total > 0 && done >= total),
    parked: Number(parked),
    lastDone: done,
    lastAt: now,
  };
  progress.set(c.nodeId, p);
  return p;
}

const erpMatches = (diffs: ErpDiff[]) => diffs.every((d) => d.missing.length + d.extra.length + d.wrong.length === 0);

async function erpLine(erp: Pool): Promise<string> {
  const count = async (t: string) => Number((await queryRows<{ n: number }>(erp, `SELECT COUNT(*) AS n FROM ${t}`).catch(() => [{ n: 0 }]))[0].n);
  return `${'erp'.padEnd(14)} ${await count('erp_customer')} customers, ${await count('erp_order')} orders, ${await count('erp_order_line')} order lines`;
}

function waitForUrl(child: ChildProcess, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = re.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`a process the demo started exited (${code}) before listening`)));
  });
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
