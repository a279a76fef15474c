// Applies a page of events together, which is what makes catch-up fast: the
// resources are fetched in one list request per kind, missing references are
// found for the whole page with one query per kind and fetched the same way,
// everything is ordered references-first and written in one transaction.
// Whatever does not fit this path (a 404, a bad representation, a cycle, a
// transaction that fails) falls back to the one-by-one Applier, which knows how
// to fail well: the caller parks what it cannot apply.
import { appendTo } from '../shared/collections.ts';
import type { PoolConnection } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';
import { DECLARED_REGISTRY } from '../shared/registry.ts';
import type { ResourceName } from '../shared/resources.ts';
import type { Applier, ApplyResult } from './applier.ts';
import type { FeedSource } from './feed-source.ts';
import type { ResourceFetcher } from './resource-fetcher.ts';
import { referencesOf, toRowTree } from './row-tree.ts';
import type { RefValue } from './row-tree.ts';
import type { Sink, SinkEvent, SinkItem } from './sink.ts';

export interface BatchEvent {
  ev: SinkEvent;
  contentPath: string;
}

export type BatchOutcome = { ok: ApplyResult } | { error: unknown };

/** Rounds of "fetch what is still missing" before the rest is left to the one-by-one path. */
const MAX_ROUNDS = 16;

const keyOf = (r: { resource: string; uuid: string }) => `${r.resource}/${r.uuid}`;

export interface PreparedBatch {
  events: BatchEvent[];
  source: FeedSource;
  outcomes: Array<BatchOutcome | undefined>;
  /** Events for the one-by-one path (by index). */
  fallback: Set<number>;
  nodes: Map<string, Node>;
  /** References that could not be fetched. */
  unavailable: Set<string>;
  /** Preparing failed as a whole: every event goes one by one. */
  failed: boolean;
  fetchMs: number;
  /** Set by commit: the caller's `alongside` work ran in the transaction that applied every event. */
  finishedAlongside?: boolean;
}

interface Node extends SinkItem {
  refs: RefValue[];
  /** Part of the page (not a dependency fetched for it). */
  own: boolean;
}

export class BatchApplier {
  constructor(
    private readonly sink: Sink,
    private readonly fetcher: ResourceFetcher,
    private readonly single: Applier,
    private readonly log: Logger,
  ) {}

  /** A resource's entry as the sink's database holds it (shared/registry.ts). */
  private defOf(resource: ResourceName) {
    return (this.sink.registry ?? DECLARED_REGISTRY).def(resource);
  }

  /**
   * Fetches the events' resources and every missing reference. Needs no lock and writes
   * nothing, so it can run while the previous batch is being written: `pending` names what
   * that batch will have written by the time this one is committed.
   */
  async prepare(events: BatchEvent[], source: FeedSource, pending: ReadonlySet<string> = new Set()): Promise<PreparedBatch> {
    const b: PreparedBatch = { events, source, outcomes: new Array(events.length), fallback: new Set(), nodes: new Map(), unavailable: new Set(), failed: false, fetchMs: 0 };
    if (!this.sink.applyBatch || !this.sink.hasMany) {
      events.forEach((_, i) => b.fallback.add(i));
      return b;
    }
    const t0 = performance.now();
    // 1. The page's own resources, one list request per kind.
    const wanted = new Map<ResourceName, number[]>();
    events.forEach((e, i) => {
      if (e.ev.action === 'DELETED') b.fallback.add(i); // deletes are rare: the careful path handles them
      else appendTo(wanted, e.ev.resource, i);
    });
    try {
      await Promise.all(
        [...wanted].map(async ([resource, idx]) => {
          const reps = await this.fetcher.fetchMany(source, resource, idx.map((i) => events[i].ev.uuid));
          for (const i of idx) {
            const rep = reps.get(events[i].ev.uuid);
            if (!rep) {
              b.fallback.add(i); // absent: asked alone, it will say why (a 404, most likely)
              continue;
            }
            try {
              const tree = toRowTree(this.defOf(resource), rep, events[i].ev.uuid);
              const node: Node = { ev: events[i].ev, tree, rep, own: true, refs: referencesOf(tree, events[i].ev) };
              this.sink.prepareItem?.(node);
              b.nodes.set(keyOf(events[i].ev), node);
            } catch (err) {
              b.outcomes[i] = { error: err };
            }
          }
        }),
      );
      // 2. Missing references for the whole batch, round by round.
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const needed = new Map<string, RefValue>();
        for (const n of b.nodes.values()) {
          for (const r of n.refs) {
            const k = keyOf(r);
            if (this.sink.accepts(r.resource) && !b.nodes.has(k) && !b.unavailable.has(k) && !pending.has(k)) needed.set(k, r);
          }
        }
        if (needed.size === 0) break;
        const present = await this.sink.hasMany!([...needed.values()]);
        const missing = [...needed.values()].filter((r) => !present.has(keyOf(r)));
        if (missing.length === 0) break;
        const byResource = new Map<ResourceName, string[]>();
        for (const r of missing) appendTo(byResource, r.resource, r.uuid);
        await Promise.all(
          [...byResource].map(async ([resource, uuids]) => {
            const reps = await this.fetcher.fetchMany(source, resource, uuids);
            for (const u of uuids) {
              const rep = reps.get(u);
              const ref = { resource, uuid: u };
              if (!rep) {
                b.unavailable.add(keyOf(ref));
                continue;
              }
              try {
                const tree = toRowTree(this.defOf(resource), rep, u);
                const ev: SinkEvent = { ...events[0].ev, resource, uuid: u, action: 'UPDATED', entryId: `${events[0].ev.entryId} (dependency)` };
                const node: Node = { ev, tree, rep, own: false, refs: referencesOf(tree, ref) };
                this.sink.prepareItem?.(node);
                b.nodes.set(keyOf(ref), node);
              } catch {
                b.unavailable.add(keyOf(ref));
              }
            }
          }),
        );
      }
    } catch (err) {
      // The publisher went away mid-batch, say: one by one instead, each failing on its own.
      this.log.debug('preparing a batch failed; applying one by one', { events: events.length, error: err as Error });
      b.failed = true;
    }
    b.fetchMs = performance.now() - t0;
    return b;
  }

  /**
   * Writes a prepared batch (references first, one transaction), then whatever fell out of it
   * one by one. When every event is in that transaction, `alongside` runs in it too (see
   * Sink.applyBatch) and `b.finishedAlongside` says so; otherwise the caller does that work after.
   */
  async commit(b: PreparedBatch, alongside?: (conn: PoolConnection) => Promise<void>): Promise<BatchOutcome[]> {
    const { events, outcomes, fallback } = b;
    let dependencies = 0;
    b.finishedAlongside = false;
    if (!b.failed && b.nodes.size > 0) {
      const t0 = performance.now();
      try {
        // Whatever depends on something unavailable, or sits in a cycle, leaves the batch for
        // the one-by-one path, which reports it properly.
        const ordered = this.order(b.nodes, b.unavailable);
        const inBatch = new Set(ordered.map((n) => keyOf(n.ev)));
        const whole = fallback.size === 0 && events.every((e, i) => !outcomes[i] && inBatch.has(keyOf(e.ev)));
        let ran = false;
        const applied = await this.sink.applyBatch!(
          ordered,
          whole && alongside ? async (conn) => {
            await alongside(conn);
            ran = true;
          } : undefined,
        );
        b.finishedAlongside = ran;
        const byKey = new Map(ordered.map((n, i) => [keyOf(n.ev), applied[i]]));
        dependencies = ordered.filter((n) => !n.own).length;
        events.forEach((e, i) => {
          if (outcomes[i] || fallback.has(i)) return;
          const o = byKey.get(keyOf(e.ev));
          if (o) outcomes[i] = { ok: { outcome: o, dependencies: 0 } };
          else fallback.add(i);
        });
        this.log.debug('batch applied', { events: events.length, written: ordered.length, fetchMs: b.fetchMs, writeMs: performance.now() - t0 });
      } catch (err) {
        this.log.debug('batch failed; applying one by one', { events: events.length, error: err as Error });
        events.forEach((_, i) => {
          if (!outcomes[i]) fallback.add(i);
        });
      }
    } else {
      events.forEach((_, i) => {
        if (!outcomes[i]) fallback.add(i);
      });
    }
    for (const i of fallback) outcomes[i] = await this.one(events[i], b.source);
    const first = outcomes.findIndex((o) => o && 'ok' in o);
    if (first >= 0 && dependencies > 0) (outcomes[first] as { ok: ApplyResult }).ok.dependencies = dependencies;
    return outcomes as BatchOutcome[];
  }

  /** Keys ("resource/uuid") a prepared batch will have written once committed. */
  static writes(b: PreparedBatch): Set<string> {
    return new Set(b.nodes.keys());
  }

  private async one(e: BatchEvent, source: FeedSource): Promise<BatchOutcome> {
    try {
      return { ok: await this.single.apply(e.ev, source, e.contentPath) };
    } catch (err) {
      return { error: err };
    }
  }

  /** Depth-first topological order; nodes on a cycle or above an unavailable reference are left out. */
  private order(nodes: Map<string, Node>, unavailable: Set<string>): Node[] {
    const out: Node[] = [];
    const state = new Map<string, 'visiting' | 'done' | 'bad'>();
    const visit = (key: string): boolean => {
      const s = state.get(key);
      if (s === 'done') return true;
      if (s === 'bad' || s === 'visiting') return false;
      const n = nodes.get(key)!;
      state.set(key, 'visiting');
      let ok = true;
      for (const r of n.refs) {
        const k = keyOf(r);
        if (unavailable.has(k)) ok = false;
        else if (nodes.has(k) && !visit(k)) ok = false;
      }
      state.set(key, ok ? 'done' : 'bad');
      if (ok) out.push(n);
      return ok;
    };
    for (const k of nodes.keys()) visit(k);
    return out;
  }
}
