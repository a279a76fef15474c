// HQ reading many clinics' feeds at once: how far it has come on each feed (its
// marker, keyed by the feed's recent URL without credentials, and the events of
// that feed waiting in the inbox), and a wait until every feed has caught up that
// notes when each one did.
import { queryRows } from '../../../shared/db.ts';
import type { Pool } from '../../../shared/db.ts';
import { assertRunning, PhaseTimeoutError } from './catch-up.ts';
import type { Child } from './children.ts';
import type { ProcMonitor } from './proc-stats.ts';
import type { Progress } from './progress.ts';
import { seconds, sleep } from '../stats.ts';

export interface FeedTarget {
  /** The feed's recent URL without credentials (the marker's key). */
  feedKey: string;
  /** The clinic's newest event: the feed has caught up when HQ's marker stands there with nothing of it waiting. */
  events: number;
}

export interface FeedPosition {
  position: number;
  pending: number;
}

/** HQ's marker position and waiting events of every feed it has read. */
export async function feedPositions(hq: Pool): Promise<Map<string, FeedPosition>> {
  const [markers, inbox] = await Promise.all([
    queryRows<{ f: string; p: number }>(hq, 'SELECT feed_url AS f, last_position AS p FROM atomsync_marker'),
    queryRows<{ f: string; n: number }>(hq, "SELECT feed_url AS f, COUNT(*) AS n FROM atomsync_inbox WHERE status = 'pending' GROUP BY feed_url"),
  ]);
  const out = new Map<string, FeedPosition>();
  for (const m of markers) out.set(m.f, { position: Number(m.p), pending: 0 });
  for (const i of inbox) out.set(i.f, { position: out.get(i.f)?.position ?? 0, pending: Number(i.n) });
  return out;
}

export interface CaughtUpTimes {
  /** Milliseconds from `startedAt` until each feed had caught up, in the order of the targets. */
  caughtUpMs: number[];
  endedAt: number;
}

/**
 * Polls HQ every 100 ms until every feed has caught up, noting when each did; throws PhaseTimeoutError
 * after `timeoutMs` (naming the feeds still behind) and ChildExitedError if the subscriber exits.
 */
export async function untilFeedsCaughtUp(
  subscriber: Child,
  hq: Pool,
  targets: FeedTarget[],
  o: { startedAt: number; timeoutMs: number; phase: string; progress: Progress; monitor: ProcMonitor },
): Promise<CaughtUpTimes> {
  const caughtUpMs: Array<number | null> = targets.map(() => null);
  const total = targets.reduce((n, t) => n + t.events, 0);
  for (;;) {
    assertRunning(subscriber);
    const at = await feedPositions(hq);
    const now = Date.now();
    let done = 0;
    targets.forEach((t, i) => {
      const p = at.get(t.feedKey) ?? { position: 0, pending: 0 };
      done += Math.min(p.position, t.events);
      if (caughtUpMs[i] === null && p.position >= t.events && p.pending === 0) caughtUpMs[i] = now - o.startedAt;
    });
    const behind = targets.filter((_, i) => caughtUpMs[i] === null);
    if (behind.length === 0) return { caughtUpMs: caughtUpMs as number[], endedAt: o.monitor.mark() };
    if (now - o.startedAt > o.timeoutMs) {
      const which = behind.slice(0, 5).map((t) => `${t.feedKey} at ${at.get(t.feedKey)?.position ?? 0} of ${t.events}`);
      throw new PhaseTimeoutError(o.phase, o.timeoutMs, `${behind.length} of ${targets.length} feeds behind: ${which.join('; ')}`);
    }
    const cpu = [...o.monitor.recentCpu()].filter(([name]) => !name.startsWith('publisher-')).map(([name, pct]) => `${name} ${pct}%`).join(', ');
    o.progress.update(
      `${o.phase}: ${targets.length - behind.length}/${targets.length} feeds caught up, ${done}/${total} events, ${seconds(now - o.startedAt)} s; CPU ${cpu}`,
    );
    await sleep(100);
  }
}
