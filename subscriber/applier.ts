// Applies one event: fetches the resource, makes sure everything it refers to
// exists locally (fetching and applying missing references first, recursively,
// refusing cycles), then hands it to the sink.
import type { Logger } from '../shared/logger.ts';
import { DECLARED_REGISTRY } from '../shared/registry.ts';
import type { ResourceName } from '../shared/resources.ts';
import { DependencyUnavailableError, HttpStatusError, ReferenceCycleError, isRetryable } from './errors.ts';
import type { FeedSource } from './feed-source.ts';
import { KeyedMutex } from './limit.ts';
import type { ResourceFetcher } from './resource-fetcher.ts';
import { referencesOf, toRowTree } from './row-tree.ts';
import type { RefValue, RowNode } from './row-tree.ts';
import type { ApplyOutcome, Sink, SinkEvent } from './sink.ts';

export interface ApplierOptions {
  /** Deepest chain of missing references followed for one event. */
  maxDepth?: number;
}

export interface ApplyResult {
  outcome: ApplyOutcome;
  /** References that were missing and applied first. */
  dependencies: number;
}

export class Applier {
  private readonly maxDepth: number;
  /** Writes of one resource happen one at a time; resolution holds no lock while it fetches. */
  private readonly writes = new KeyedMutex();

  constructor(
    private readonly sink: Sink,
    private readonly fetcher: ResourceFetcher,
    private readonly log: Logger,
    opts: ApplierOptions = {},
  ) {
    this.maxDepth = opts.maxDepth ?? 32;
  }

  /** A resource's entry as the sink's database holds it (shared/registry.ts). */
  private defOf(resource: ResourceName) {
    return (this.sink.registry ?? DECLARED_REGISTRY).def(resource);
  }

  async apply(ev: SinkEvent, source: FeedSource, contentPath?: string): Promise<ApplyResult> {
    let rep: Record<string, unknown>;
    try {
      rep = await this.fetcher.fetch(source, ev.resource, ev.uuid, contentPath);
    } catch (err) {
      // Gone at the origin: a DELETED event removes it here; for other events it may not be published yet.
      if (err instanceof HttpStatusError && err.status === 404 && ev.action === 'DELETED') {
        return { outcome: await this.writes.run(keyOf(ev), () => this.sink.remove(ev)), dependencies: 0 };
      }
      throw err;
    }
    const tree = toRowTree(this.defOf(ev.resource), rep, ev.uuid);
    const counter = { n: 0 };
    await this.resolve(ev, source, tree, { resource: ev.resource, uuid: ev.uuid }, [keyOf(ev)], counter);
    const outcome = await this.writes.run(keyOf(ev), () => this.sink.apply(ev, tree, rep));
    return { outcome, dependencies: counter.n };
  }

  /** Applies every reference the sink lacks before the resource that needs it. */
  private async resolve(ev: SinkEvent, source: FeedSource, tree: RowNode, self: RefValue, stack: string[], counter: { n: number }) {
    for (const ref of referencesOf(tree, self)) {
      if (!this.sink.accepts(ref.resource) || (await this.sink.has(ref))) continue;
      const key = keyOf(ref);
      if (stack.includes(key)) throw new ReferenceCycleError([...stack, key]);
      if (stack.length >= this.maxDepth) throw new ReferenceCycleError([...stack, `${key} (deeper than ${this.maxDepth})`]);
      let depRep: Record<string, unknown>;
      let depTree: RowNode;
      try {
        depRep = await this.fetcher.fetch(source, ref.resource as ResourceName, ref.uuid);
        depTree = toRowTree(this.defOf(ref.resource), depRep, ref.uuid);
      } catch (err) {
        if (!isRetryable(err)) throw err;
        throw new DependencyUnavailableError(ref.resource, ref.uuid, err as Error);
      }
      await this.resolve(ev, source, depTree, ref, [...stack, key], counter);
      const depEvent: SinkEvent = { ...ev, resource: ref.resource, uuid: ref.uuid, action: 'UPDATED', entryId: `${ev.entryId} (dependency)` };
      // Another event may have written it while we fetched: then there is nothing left to do.
      const wrote = await this.writes.run(key, async () => {
        if (await this.sink.has(ref)) return false;
        await this.sink.apply(depEvent, depTree, depRep);
        return true;
      });
      if (wrote) counter.n++;
      this.log.debug('applied missing reference first', { resource: ref.resource, uuid: ref.uuid, for: ev.resource });
    }
  }
}

const keyOf = (r: { resource: string; uuid: string }) => `${r.resource}/${r.uuid}`;
