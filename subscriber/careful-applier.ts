// The careful path: applies one event on its own. It fetches the resource,
// resolves what it refers to through the dependency resolver (each reference
// fetched alone, so a failure says why), writes the missing references first,
// breaks cycles at optional references, then hands the resource to the sink.
// Retries from the inbox and whatever leaves a batch come this way.
import type { Logger } from '../shared/logger.ts';
import { DependencyResolver, keyOf } from './dependency-resolver.ts';
import type { Graph, Node } from './dependency-resolver.ts';
import { DependencyUnavailableError, HttpStatusError, ReferenceCycleError, isRetryable } from './errors.ts';
import type { FeedAddress } from './feed-address.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { ResourceFetcher } from './resource-fetcher.ts';
import { withoutRefs } from './row-tree.ts';
import type { RefValue } from './row-tree.ts';
import type { ApplyOutcome, Sink, SinkEvent } from './sink.ts';

export interface CarefulApplierOptions {
  /** Deepest chain of missing references followed for one event. */
  maxDepth?: number;
}

export interface ApplyResult {
  outcome: ApplyOutcome;
  /** References that were missing and applied first. */
  dependencies: number;
}

const required = (r: RefValue) => r.required === true;

export class CarefulApplier {
  private readonly maxDepth: number;
  private readonly resolver: DependencyResolver;
  /** Writes of one resource happen one at a time; resolution holds no lock while it fetches. */
  private readonly writes = new KeyedMutex();

  constructor(
    private readonly sink: Sink,
    private readonly fetcher: ResourceFetcher,
    private readonly log: Logger,
    opts: CarefulApplierOptions = {},
  ) {
    this.maxDepth = opts.maxDepth ?? 32;
    this.resolver = new DependencyResolver(sink, fetcher, this.maxDepth);
  }

  async apply(ev: SinkEvent, source: FeedAddress, contentPath?: string): Promise<ApplyResult> {
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
    const root = keyOf(ev);
    const g: Graph = { nodes: new Map([[root, this.resolver.node(ev, rep, true)]]), unavailable: new Map() };
    const complete = await this.resolver.complete(g, source, { each: true, cause: ev });
    const lacking = this.resolver.unavailableBelow(g, root);
    if (lacking) {
      const [resource, uuid] = lacking.key.split('/');
      if (!isRetryable(lacking.error)) throw lacking.error;
      throw new DependencyUnavailableError(resource, uuid, lacking.error as Error);
    }
    if (!complete) throw new ReferenceCycleError([root, `... (deeper than ${this.maxDepth})`]);
    const ordered = this.resolver.order(g, [root]);
    if (ordered.length !== g.nodes.size) return this.breakCycle(g, root);
    let dependencies = 0;
    for (const n of ordered.slice(0, -1)) if (await this.writeDependency(n)) dependencies++;
    const outcome = await this.writes.run(root, () => this.sink.apply(ev, g.nodes.get(root)!.tree, rep));
    return { outcome, dependencies };
  }

  /** Writes a dependency unless another event wrote it while we fetched. */
  private writeDependency(n: Node): Promise<boolean> {
    return this.writes.run(keyOf(n.ev), async () => {
      if (await this.sink.has(n.ev)) return false;
      await this.sink.apply(n.ev, n.tree, n.rep);
      this.log.debug('applied missing reference first', { resource: n.ev.resource, uuid: n.ev.uuid });
      return true;
    });
  }

  /**
   * References that go round in a circle (a concept whose answer is a drug of that very
   * concept) cannot be applied one before the other. The circle is broken where a column may
   * be NULL: in the order of required references alone, each resource is first written without
   * its optional references to what is not here yet; then each is written again in full, in the
   * same order, now that what it points at exists. A circle of required references alone
   * cannot be written at all, and stays a ReferenceCycleError.
   */
  private async breakCycle(g: Graph, root: string): Promise<ApplyResult> {
    // Every resource of the graph, the event's own last unless something requires it sooner.
    const ordered = this.resolver.order(g, [...[...g.nodes.keys()].filter((k) => k !== root), root], required);
    if (ordered.length !== g.nodes.size) throw new ReferenceCycleError(this.resolver.cycleFrom(g, root, required) ?? [root]);
    const written = new Set<string>();
    const firstPass: Node[] = [];
    for (const n of ordered) {
      const key = keyOf(n.ev);
      if (!n.own && (await this.sink.has(n.ev))) continue; // written meanwhile by another event
      // Points only at what is here: outside the graph (present, or not taken), written already, or itself.
      const partial = withoutRefs(n.tree, (r) => !g.nodes.has(keyOf(r)) || written.has(keyOf(r)) || keyOf(r) === key);
      await this.writes.run(key, () => this.sink.apply({ ...n.ev, entryId: `${n.ev.entryId} (first pass)` }, partial, n.rep));
      written.add(key);
      firstPass.push(n);
    }
    this.log.info('reference cycle broken at optional references: written in two passes', { resource: g.nodes.get(root)!.ev.resource, resources: firstPass.length });
    let outcome: ApplyOutcome = 'applied';
    for (const n of firstPass) {
      const o = await this.writes.run(keyOf(n.ev), () => this.sink.apply(n.ev, n.tree, n.rep));
      if (n.own) outcome = o;
    }
    return { outcome, dependencies: firstPass.length - 1 };
  }
}
