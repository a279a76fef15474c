// Runs detection on arrival off the subscriber's commit path: the subscriber hands over the uuids
// of the patients a batch wrote (patientsArrived) and carries on; the watcher checks them in the
// background, one batch at a time, so a feed is never slowed or failed by it. An error is logged
// (its code or class only: a database message may quote a value) and the next batch goes on: the nightly scan covers what was missed.
// Logs carry counts, never a name or an identifier.
import type { Pool } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Action } from '../../shared/protocol.ts';
import { detectArrivals } from './arrivals.ts';
import type { ArrivalOptions } from './arrivals.ts';

export interface WatcherOptions extends ArrivalOptions {
  /** Patients checked per run. Default 500. */
  batchSize?: number;
}

export class DuplicateWatcher {
  private readonly waiting = new Set<string>();
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
    private readonly o: WatcherOptions = {},
  ) {}

  /**
   * Queues the patients among a committed batch's events (the subscriber's InboxEvent has these
   * fields): a patient's person, names, identifiers and addresses travel as resource 'patient';
   * a deleted one is not checked. Returns at once.
   */
  batchCommitted(events: Iterable<{ resource: string; uuid: string; action?: Action }>): void {
    const uuids: string[] = [];
    for (const e of events) if (e.resource === 'patient' && e.action !== 'DELETED') uuids.push(e.uuid);
    if (uuids.length > 0) this.patientsArrived(uuids);
  }

  /** Queues patients written or changed by a committed batch; returns at once. */
  patientsArrived(uuids: Iterable<string>): void {
    if (this.stopped) return;
    for (const u of uuids) this.waiting.add(u);
    if (this.waiting.size > 0 && !this.running) this.running = this.drain().finally(() => (this.running = null));
  }

  /** Resolves once nothing waits and nothing runs (tests, and a clean stop). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops taking patients, and waits for the run under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.clear();
    await this.idle();
  }

  private async drain(): Promise<void> {
    const size = this.o.batchSize ?? 500;
    while (this.waiting.size > 0 && !this.stopped) {
      const batch = [...this.waiting].slice(0, size);
      for (const u of batch) this.waiting.delete(u);
      try {
        const r = await detectArrivals(this.pool, batch, this.o);
        if (r.certain + r.probable > 0) {
          this.log.info('duplicate patients found on arrival', { patients: r.arrivals, compared: r.compared, certain: r.certain, probable: r.probable, newPairs: r.newPairs });
        } else this.log.debug('arrivals checked for duplicates', { patients: r.arrivals, compared: r.compared });
      } catch (err) {
        this.log.warn('the duplicate check on arrival failed; the next scan covers these patients', { patients: batch.length, error: (err as { code?: string }).code ?? (err as Error).name });
      }
    }
  }
}
