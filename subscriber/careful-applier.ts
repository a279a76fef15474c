// Applies one event: fetches the resource, makes sure everything it refers to
// exists locally (fetching and applying missing references first, recursively,
// refusing cycles), then hands it to the sink.
import type { Logger } from '../shared/logger.ts';
import { DECLARED_REGISTRY } from '../shared/registry.ts';
import type { ResourceName } from '../shared/resources.ts';
import { DependencyUnavailableError, HttpStatusError, ReferenceCycleError, isRetryable } from './errors.ts';
import type { FeedSource } from './feed-source.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { ResourceFetcher } from './resource-fetcher.ts';
import { referencesOf, toRowTree, withoutRefs } from './row-tree.ts';
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
    const self = { resource: ev.resource, uuid: ev.uuid };
    try {
      await this.resolve(ev, source, tree, self, [keyOf(ev)], counter);
    } catch (err) {
      if (!(err instanceof ReferenceCycleError)) throw err;
      return { outcome: await this.breakCycle(ev, source, tree, rep, counter), dependencies: counter.n };
    }
    const outcome = await this.writes.run(keyOf(ev), () => this.sink.apply(ev, tree, rep));
    return { outcome, dependencies: counter.n };
  }

  /**
   * References that go round in a circle (a concept whose answer is a drug of that very
   * concept) cannot be applied one before the other. The circle is broken where a column may
   * be NULL: following only required references, each resource is first written without its
   * optional references to what is not here yet; then each is written again in full, in the
   * same order, now that what it points at exists. A circle of required references alone
   * cannot be written at all, and stays a ReferenceCycleError.
   */
  private async breakCycle(ev: SinkEvent, source: FeedSource, tree: RowNode, rep: Record<string, unknown>, counter: { n: number }) {
    const self = { resource: ev.resource, uuid: ev.uuid };
    const firstPass: FirstPass[] = [];
    await this.resolve(ev, source, tree, self, [keyOf(ev)], counter, firstPass);
    await this.writeFirstPass(ev, tree, rep, firstPass);
    this.log.info('reference cycle broken at optional references: written in two passes', { resource: ev.resource, uuid: ev.uuid, resources: firstPass.length });
    let outcome: ApplyOutcome = 'applied';
    for (const p of firstPass) {
      await this.resolve(p.ev, source, p.tree, { resource: p.ev.resource, uuid: p.ev.uuid }, [keyOf(p.ev)], counter);
      outcome = await this.writes.run(keyOf(p.ev), () => this.sink.apply(p.ev, p.tree, p.rep));
    }
    return outcome;
  }

  /** Writes a resource without its optional references to what the sink lacks, and notes it for the second pass. */
  private async writeFirstPass(ev: SinkEvent, tree: RowNode, rep: Record<string, unknown>, firstPass: FirstPass[]): Promise<void> {
    const present = new Set<string>();
    for (const r of referencesOf(tree, { resource: ev.resource, uuid: ev.uuid })) {
      if (!r.required && (!this.sink.accepts(r.resource) || (await this.sink.has(r)))) present.add(keyOf(r));
    }
    const partial = withoutRefs(tree, (r) => present.has(keyOf(r)) || (r.resource === ev.resource && r.uuid === ev.uuid.toLowerCase()));
    await this.writes.run(keyOf(ev), () => this.sink.apply({ ...ev, entryId: `${ev.entryId} (first pass)` }, partial, rep));
    firstPass.push({ ev, tree, rep });
  }

  /**
   * Applies every reference the sink lacks before the resource that needs it. With `firstPass`,
   * only required references are followed and what is written goes through writeFirstPass.
   */
  private async resolve(ev: SinkEvent, source: FeedSource, tree: RowNode, self: RefValue, stack: string[], counter: { n: number }, firstPass?: FirstPass[]) {
    for (const ref of referencesOf(tree, self)) {
      if (firstPass && !ref.required) continue;
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
      await this.resolve(ev, source, depTree, ref, [...stack, key], counter, firstPass);
      const depEvent: SinkEvent = { ...ev, resource: ref.resource, uuid: ref.uuid, action: 'UPDATED', entryId: `${ev.entryId} (dependency)` };
      if (firstPass) {
        if (!(await this.sink.has(ref))) await this.writeFirstPass(depEvent, depTree, depRep, firstPass);
        counter.n++;
        continue;
      }
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

const keyOf = (r: { resource: string; uuid: string }) => `${r.resource}/${r.uuid.toLowerCase()}`;

/** A resource written without some optional references, to be written again in full. */
interface FirstPass {
  ev: SinkEvent;
  tree: RowNode;
  rep: Record<string, unknown>;
}
