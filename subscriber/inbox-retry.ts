// One retry of a parked event: the careful path again, then the inbox row is
// settled, scheduled for its next attempt, or made a dead letter. The retry
// queue (retry-queue.ts) and `subscribe --once` call it.
import type { Logger } from '../shared/logger.ts';
import { isResourceName } from '../shared/resources.ts';
import { retryDelayMs } from './backoff.ts';
import type { RetryPolicy } from './backoff.ts';
import type { CarefulApplier } from './careful-applier.ts';
import { InvalidResourceError, isRetryable } from './errors.ts';
import type { FeedAddress } from './feed-address.ts';
import { toSinkEvent } from './fetch-stage.ts';
import type { Inbox, InboxRow } from './inbox.ts';
import { countApplied, describeError } from './outcomes.ts';
import type { PipelineStats } from './outcomes.ts';

export interface InboxRetryDeps {
  careful: CarefulApplier;
  inbox: Inbox;
  policy: RetryPolicy;
  stats: PipelineStats;
  log: Logger;
  /** Schedules a row's next attempt (the retry queue). */
  onParked: (inboxId: number, delayMs: number) => void;
}

export class InboxRetry {
  constructor(private readonly d: InboxRetryDeps) {}

  /** One retry of an inbox row. Returns its new state. */
  async retry(row: InboxRow, source: FeedAddress | undefined): Promise<'applied' | 'pending' | 'dead'> {
    const { inbox, policy } = this.d;
    if (!source) {
      await inbox.fail(row, `feed ${row.feedUrl} is not configured on this subscriber`, { permanent: true, ...policy, delayMs: 0 });
      return 'dead';
    }
    try {
      if (!isResourceName(row.resource)) throw new InvalidResourceError(`unknown resource "${row.resource}"`, row.resource, row.uuid);
      countApplied(this.d.stats, await this.d.careful.apply(toSinkEvent(row), source, row.contentPath));
      if (await inbox.succeed(row)) return 'applied';
      this.d.onParked(row.id, 0); // a newer event joined while we worked: go again
      return 'pending';
    } catch (err) {
      const delayMs = retryDelayMs(row.attempts + 1, policy);
      const state = await inbox.fail(row, describeError(err), { permanent: !isRetryable(err), maxAttempts: policy.maxAttempts, delayMs });
      if (state === 'pending') this.d.onParked(row.id, delayMs);
      else {
        this.d.stats.dead++;
        this.d.log.warn('event is a dead letter', { feed: row.feedUrl, entry: row.entryId, resource: row.resource, uuid: row.uuid, attempts: row.attempts + 1, error: describeError(err) });
      }
      return state;
    }
  }
}
