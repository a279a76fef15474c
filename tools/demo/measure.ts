// What the demo can see of HQ and the ERP from the databases it already reads:
// positions applied (the subscribers' markers), positions fetched (the
// publishers' record of the pages each user asked for, in the clinic's
// atomsync_subscriber_position), the newest event of each feed, and the
// parked events. Nothing here asks the subscribers themselves.
import { queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { progressLine } from './progress.ts';
import type { FeedProgress } from './progress.ts';
import { StallWatch } from './stall.ts';

export interface Clinic {
  nodeId: string;
  url: string;
  pool: Pool;
  feedUrl?: string;
}

/** The ERP's feeds, one per resource: a category feed's positions count that resource's events. */
export const ERP_CATEGORIES = ['patient', 'encounter', 'obs', 'order', 'drug'] as const;

export type Measured = FeedProgress & { lastDone: number; lastAt: number };

const num = async (q: Pool, sql: string, params: unknown[] = []) =>
  Number((await queryRows<{ n: number | null }>(q, sql, params).catch(() => [{ n: 0 }]))[0]?.n ?? 0);

/** Where HQ stands on a clinic's feed: applied position against the clinic's newest event. */
export async function measureHq(c: Clinic, hq: Pool, prev: Measured | undefined): Promise<Measured> {
  const total = await num(c.pool, 'SELECT MAX(seq) AS n FROM atomsync_event');
  const done = Math.min(total, await num(hq, 'SELECT last_position AS n FROM atomsync_marker WHERE feed_url = ?', [c.feedUrl]));
  const parked = await num(hq, `SELECT COUNT(*) AS n FROM atomsync_inbox WHERE feed_url = ? AND status = 'pending'`, [c.feedUrl]);
  const seen = await num(c.pool, `SELECT MAX(position) AS n FROM atomsync_subscriber_position WHERE subscriber = 'hq' AND feed = 'all'`);
  let lagSeconds = 0;
  if (done < total) {
    lagSeconds = Math.max(0, await num(c.pool, 'SELECT TIMESTAMPDIFF(MICROSECOND, published_at, UTC_TIMESTAMP(3)) / 1e6 AS n FROM atomsync_event WHERE seq = ?', [done + 1]));
  }
  return next(c.nodeId, { done, total, seen: Math.min(total, seen), parked, lagSeconds }, prev);
}

/** Where the ERP stands on all its feeds together, and what it holds. */
export async function measureErp(clinics: Clinic[], erp: Pool, prev: Measured | undefined): Promise<Measured & { holds: string }> {
  const cats = ERP_CATEGORIES.map(() => '?').join(', ');
  let total = 0;
  let seen = 0;
  for (const c of clinics) {
    total += await num(c.pool, `SELECT SUM(n) AS n FROM (SELECT MAX(position) AS n FROM atomsync_event WHERE resource IN (${cats}) GROUP BY resource) t`, [...ERP_CATEGORIES]);
    seen += await num(c.pool, `SELECT SUM(position) AS n FROM atomsync_subscriber_position WHERE subscriber = 'erp' AND feed IN (${cats})`, [...ERP_CATEGORIES]);
  }
  const done = Math.min(total, await num(erp, 'SELECT SUM(last_position) AS n FROM atomsync_marker'));
  const parked = await num(erp, `SELECT COUNT(*) AS n FROM atomsync_inbox WHERE status = 'pending'`);
  const count = (t: string) => num(erp, `SELECT COUNT(*) AS n FROM ${t}`);
  const holds = `${await count('erp_customer')} customers, ${await count('erp_order')} orders, ${await count('erp_order_line')} order lines`;
  return { ...next('erp', { done, total, seen: Math.min(total, seen), parked, lagSeconds: null }, prev), holds };
}

/** The new figures, with the rate smoothed over the previous measurement. */
function next(name: string, m: Pick<FeedProgress, 'done' | 'total' | 'seen' | 'parked' | 'lagSeconds'>, prev: Measured | undefined): Measured {
  const now = Date.now();
  const rate = prev ? ((m.done - prev.lastDone) * 1000) / Math.max(1, now - prev.lastAt) : 0;
  return {
    name,
    ...m,
    rate: prev ? 0.7 * rate + 0.3 * prev.rate : rate,
    caughtUpOnce: Boolean(prev?.caughtUpOnce) || (m.total > 0 && m.done >= m.total),
    lastDone: m.done,
    lastAt: now,
  };
}

/**
 * HQ's and the ERP's progress as the demo shows it, measured again at each look, with a watch
 * on each that says when it has stopped moving (anything: positions applied or fetched, parked
 * events, the ERP's rows).
 */
export class DemoView {
  readonly hq = new Map<string, Measured>();
  erp: Measured & { holds: string } = { name: 'erp', done: 0, total: 0, rate: 0, lagSeconds: null, caughtUpOnce: false, parked: 0, lastDone: 0, lastAt: 0, holds: '' };
  readonly hqWatch: StallWatch;
  readonly erpWatch: StallWatch;

  constructor(
    private readonly clinics: Clinic[],
    private readonly hqPool: Pool,
    private readonly erpPool: Pool,
    patienceS: number,
  ) {
    this.hqWatch = new StallWatch(patienceS * 1000);
    this.erpWatch = new StallWatch(patienceS * 1000);
  }

  /** Measures both; answers HQ's state per clinic and the lines to show (a clinic's each, then the ERP's). */
  async look(): Promise<{ states: Measured[]; lines: string[] }> {
    const states: Measured[] = [];
    for (const c of this.clinics) {
      const s = await measureHq(c, this.hqPool, this.hq.get(c.nodeId));
      this.hq.set(c.nodeId, s);
      states.push(s);
    }
    this.erp = await measureErp(this.clinics, this.erpPool, this.erp.lastAt ? this.erp : undefined);
    this.hqWatch.see(states.map((s) => [s.done, s.seen, s.parked]));
    this.erpWatch.see([this.erp.done, this.erp.seen, this.erp.parked, this.erp.holds]);
    return { states, lines: [...states.map(progressLine), `${progressLine(this.erp)}; ${this.erp.holds}`] };
  }
}
