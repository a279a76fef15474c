// Phase 1: the clinic's publisher numbers its whole backlog, then HQ's
// subscriber, started on an empty database, catches up. Timed from the
// subscriber's spawn until HQ's marker stands at the clinic's newest event and
// nothing waits in the inbox.
import type { Pool } from '../../../shared/db.ts';
import type { Child, Children } from './children.ts';
import { publisherOrigin } from './children.ts';
import { countTables, eventCount, firstAppliedAt, hqProgress, outboxDepth } from './db-figures.ts';
import type { ProcMonitor } from './proc-stats.ts';
import type { Progress } from './progress.ts';
import { perSecond, seconds, sleep } from '../stats.ts';

export class PhaseTimeoutError extends Error {
  override name = 'PhaseTimeoutError';
  constructor(
    readonly phase: string,
    readonly timeoutMs: number,
    detail: string,
  ) {
    super(`${phase} did not finish within ${seconds(timeoutMs)} s: ${detail}`);
  }
}

export class ChildExitedError extends Error {
  override name = 'ChildExitedError';
  constructor(
    readonly child: string,
    readonly code: number | string,
    readonly log: string,
  ) {
    super(`${child} exited (${code}) during the benchmark; its log ends with:\n${log}`);
  }
}

export function assertRunning(c: Child): void {
  if (!c.running()) throw new ChildExitedError(c.name, c.proc.exitCode ?? c.proc.signalCode ?? '?', c.tail());
}

export interface PublisherStart {
  child: Child;
  origin: string;
  /** From spawn until the relay had moved the whole outbox into the event log. */
  relayDrainMs: number;
  outboxRowsAtStart: number;
}

/** Starts `atomsync publish` and waits until its relay has numbered every outbox row. */
export async function startPublisher(
  children: Children,
  clinic: Pool,
  o: { dbUrl: string; users: string; timeoutMs: number; progress: Progress; name?: string },
): Promise<PublisherStart> {
  const outboxRowsAtStart = await outboxDepth(clinic);
  const started = Date.now();
  const child = children.atomsync(o.name ?? 'publisher', ['publish', '--db', o.dbUrl, '--host', '127.0.0.1', '--port', '0', '--users', o.users]);
  const origin = await publisherOrigin(child);
  for (;;) {
    assertRunning(child);
    const depth = await outboxDepth(clinic);
    o.progress.update(`publisher relay: ${outboxRowsAtStart - depth}/${outboxRowsAtStart} outbox rows numbered`);
    if (depth === 0) break;
    if (Date.now() - started > o.timeoutMs) throw new PhaseTimeoutError('the relay drain', o.timeoutMs, `${depth} outbox rows left`);
    await sleep(200);
  }
  const relayDrainMs = Date.now() - started;
  o.progress.end();
  return { child, origin, relayDrainMs, outboxRowsAtStart };
}

export interface CatchUpResult {
  events: number;
  /** Rows in HQ's synced tables after the catch-up, and how many of them the catch-up added. */
  hqRows: number;
  hqRowsAdded: number;
  hqRowsPerTable: Record<string, number>;
  wallMs: number;
  eventsPerSecond: number;
  /** Events per second counted from the subscriber's start-up log line, without Node's and tsx's start. */
  eventsPerSecondAfterStart: number | null;
  rowsPerSecond: number;
  /** From spawn to its "subscriber started" log line (process start-up), when the log level shows it. */
  readyMs: number | null;
  /** From spawn to the first resource HQ applied (atomsync_sync_state.synced_at). */
  firstAppliedMs: number | null;
  dead: number;
  /** Date.now() at the subscriber's spawn and at the end, for the process monitor's windows. */
  startedAt: number;
  endedAt: number;
}

export interface CatchUpOptions {
  hqUrl: string;
  feedUrl: string;
  redisUrl: string;
  queue: string;
  timeoutMs: number;
  progress: Progress;
  monitor: ProcMonitor;
}

export async function catchUp(children: Children, clinic: Pool, hq: Pool, o: CatchUpOptions): Promise<{ subscriber: Child; result: CatchUpResult }> {
  const events = await eventCount(clinic);
  const before = await countTables(hq);
  const startedAt = o.monitor.mark();
  const subscriber = startSubscriber(children, { ...o, feedUrls: [o.feedUrl] });
  const ready = watchStartedLine(subscriber);
  let firstApplied = await untilCaughtUp(subscriber, hq, events, startedAt, o);
  const endedAt = o.monitor.mark();
  const readyAt = ready.stop();
  o.progress.end();
  const wallMs = endedAt - startedAt;
  firstApplied ??= await firstAppliedAt(hq);
  const after = await countTables(hq);
  const { dead } = await hqProgress(hq);
  return {
    subscriber,
    result: {
      events,
      hqRows: after.total,
      hqRowsAdded: after.total - before.total,
      hqRowsPerTable: after.perTable,
      wallMs,
      eventsPerSecond: perSecond(events, wallMs),
      eventsPerSecondAfterStart: readyAt === null ? null : perSecond(events, endedAt - readyAt),
      rowsPerSecond: perSecond(after.total - before.total, wallMs),
      readyMs: readyAt === null ? null : readyAt - startedAt,
      firstAppliedMs: firstApplied === null ? null : Math.max(0, Math.round(firstApplied - startedAt)),
      dead,
      startedAt,
      endedAt,
    },
  };
}

/** Spawns HQ's `atomsync subscribe` reading `feedUrls`, at the subscriber's defaults otherwise, watched by the monitor as 'subscriber'. */
export function startSubscriber(children: Children, o: { hqUrl: string; feedUrls: string[]; redisUrl: string; queue: string; monitor: ProcMonitor }): Child {
  const subscriber = children.atomsync('subscriber', [
    'subscribe', '--db', o.hqUrl, '--node-id', 'hq', '--redis', o.redisUrl, '--queue', o.queue, ...o.feedUrls.flatMap((f) => ['--feed', f]),
  ]);
  o.monitor.watch('subscriber', subscriber.pid);
  o.monitor.mark(); // a first reading near zero CPU, so its start-up counts in the window
  return subscriber;
}

/** Notes when the subscriber logs "subscriber started"; stop() ends the watch and says when (null if not seen). */
export function watchStartedLine(subscriber: Child): { stop: () => number | null } {
  let readyAt: number | null = null;
  const onLog = (d: Buffer) => {
    if (readyAt === null && d.includes('"msg":"subscriber started"')) readyAt = Date.now();
  };
  subscriber.proc.stderr?.on('data', onLog);
  return {
    stop: () => {
      subscriber.proc.stderr?.off('data', onLog);
      return readyAt;
    },
  };
}

/** Polls HQ until it holds every event with nothing waiting, showing progress; returns when HQ first applied one, if seen. */
async function untilCaughtUp(subscriber: Child, hq: Pool, events: number, startedAt: number, o: CatchUpOptions): Promise<number | null> {
  let firstApplied: number | null = null;
  let last = { at: startedAt, position: 0, rate: 0 };
  for (;;) {
    assertRunning(subscriber);
    firstApplied ??= await firstAppliedAt(hq);
    const p = await hqProgress(hq);
    const now = Date.now();
    if (p.position >= events && p.pending === 0) return firstApplied;
    if (now - startedAt > o.timeoutMs) {
      throw new PhaseTimeoutError('the catch-up', o.timeoutMs, `HQ at position ${p.position} of ${events}, ${p.pending} events waiting in the inbox`);
    }
    if (now - last.at >= 1000) {
      const rate = ((p.position - last.position) * 1000) / (now - last.at);
      last = { at: now, position: p.position, rate: last.rate ? 0.6 * rate + 0.4 * last.rate : rate };
    }
    const cpu = [...o.monitor.recentCpu()].map(([name, pct]) => `${name} ${pct}%`).join(', ');
    const pct = events ? Math.floor((100 * p.position) / events) : 100;
    o.progress.update(
      `catch-up ${p.position}/${events} events (${pct}%), ${Math.round(last.rate)} ev/s, ${seconds(now - startedAt)} s` +
        `${p.pending ? `, ${p.pending} waiting` : ''}${p.dead ? `, ${p.dead} dead` : ''}; CPU ${cpu}`,
    );
    await sleep(100);
  }
}

/** Waits until HQ stands at the clinic's newest event with nothing waiting (after the live phase). */
export async function waitForHq(clinic: Pool, hq: Pool, subscriber: Child, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    assertRunning(subscriber);
    const events = await eventCount(clinic);
    const [p, depth] = await Promise.all([hqProgress(hq), outboxDepth(clinic)]);
    if (depth === 0 && p.position >= events && p.pending === 0) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      throw new PhaseTimeoutError('the final catch-up', timeoutMs, `HQ at ${p.position} of ${events}, ${p.pending} waiting, ${depth} outbox rows`);
    }
    await sleep(100);
  }
}
