// Who is waiting for a feed to grow: the long-polled `recent` requests (SPEC.md, "Long polling").
// The relay tells this process which feeds a committed batch went to (published()), and the
// requests waiting on those feeds wake and look at the feed's head again. A waiter holds a timer
// and a closure, never a database connection.
//
// Only a relay in this process can say when a feed grows. While none leads here (a --no-relay
// replica, a relay waiting for another process's lock, a lost relay connection) the notifier is
// not live: wait() declines, and the request is answered at once, as plain polling would be.
import { ALL_CATEGORY } from '../shared/protocol.ts';

/** Why a wait ended: a feed it waits on grew (or may have), its time ran out, its client left, or the server is stopping. */
export type WaitEnd = 'event' | 'timeout' | 'gone' | 'closed';

export interface NewEventsOptions {
  /** Requests held at once; one more is answered at once instead. */
  maxWaiters: number;
}

export const NEW_EVENTS_DEFAULTS: Readonly<NewEventsOptions> = { maxWaiters: 1000 };

type Wake = (end: WaitEnd) => void;

export class NewEvents {
  private readonly byFeed = new Map<string, Set<Wake>>();
  private count = 0;
  private closed = false;
  /** True while a relay in this process holds the lock and so sees every event published. */
  private isLive = false;
  readonly o: Readonly<NewEventsOptions>;

  constructor(o: Partial<NewEventsOptions> = {}) {
    this.o = { ...NEW_EVENTS_DEFAULTS, ...o };
  }

  /** Requests waiting now. */
  get held(): number {
    return this.count;
  }

  /** Whether wait() would hold a request now. */
  get accepting(): boolean {
    return this.isLive && !this.closed && this.count < this.o.maxWaiters;
  }

  /**
   * Waits until an event is published to `feed` (any event for `all`), `ms` pass, `signal` aborts
   * or close() is called. Null when it will not wait: not live, closed, or maxWaiters held already.
   */
  wait(feed: string, ms: number, signal: AbortSignal): Promise<WaitEnd> | null {
    if (!this.accepting || signal.aborted || ms <= 0) return null;
    const set = this.byFeed.get(feed) ?? new Set<Wake>();
    this.byFeed.set(feed, set);
    this.count++;
    return new Promise<WaitEnd>((resolve) => {
      const wake: Wake = (end) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (set.delete(wake)) this.count--;
        if (set.size === 0 && this.byFeed.get(feed) === set) this.byFeed.delete(feed);
        resolve(end);
      };
      const onAbort = () => wake('gone');
      const timer = setTimeout(() => wake('timeout'), ms);
      signal.addEventListener('abort', onAbort, { once: true });
      set.add(wake);
    });
  }

  /** A batch of events was committed to these resources' feeds (and so to `all`). */
  published(resources: Iterable<string>): void {
    this.wakeFeed(ALL_CATEGORY, 'event');
    for (const r of resources) this.wakeFeed(r, 'event');
  }

  /**
   * Whether a relay here sees every event from now on. Going not live wakes everyone: what they
   * wait for may now be published by another process, which nobody here would hear of.
   */
  set live(live: boolean) {
    this.isLive = live;
    if (!live) for (const feed of [...this.byFeed.keys()]) this.wakeFeed(feed, 'event');
  }

  /** Releases every waiter and takes no more: the server is stopping. */
  close(): void {
    this.closed = true;
    for (const feed of [...this.byFeed.keys()]) this.wakeFeed(feed, 'closed');
  }

  private wakeFeed(feed: string, end: WaitEnd): void {
    const set = this.byFeed.get(feed);
    if (set) for (const wake of [...set]) wake(end);
  }
}
