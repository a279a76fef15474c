// The one dependency resolver. Resources are nodes of a graph; what they refer
// to and the sink lacks is fetched round by round (each round one query for
// what is present, and one request per kind for what is not), then the graph is
// ordered references-first. The batch path resolves a whole page at once; the
// careful path resolves one event the same way, fetching each reference alone
// so that a failure says why.
import { appendTo } from './collections.ts';
import { DECLARED_REGISTRY } from '../shared/registry.ts';
import type { ResourceName } from '../shared/resources.ts';
import type { FeedAddress } from './feed-address.ts';
import type { ResourceFetcher } from './resource-fetcher.ts';
import { keyOf, referencesOf, toRowTree } from './row-tree.ts';
import { NODE_ID_PATTERN, ORIGIN_FIELD } from '../shared/protocol.ts';
import type { RefValue } from './row-tree.ts';
import type { Sink, SinkEvent, SinkItem } from './sink.ts';

export { keyOf };

/** A resource in the graph: what to write, and what it points at. */
export interface Node extends SinkItem {
  refs: RefValue[];
  /** Announced by an event being applied (not a dependency fetched for one). */
  own: boolean;
}

export interface Graph {
  nodes: Map<string, Node>;
  /** References that could not be fetched, with the error (undefined: left out of a list answer). */
  unavailable: Map<string, unknown>;
}

export interface CompleteOptions {
  /** Keys an earlier batch will have written by the time this graph is: present, not fetched. */
  pending?: ReadonlySet<string>;
  /** Fetch each missing reference alone (the careful path), not in list requests. */
  each?: boolean;
  /** The event dependencies are fetched for: their own events copy its origin and feed. */
  cause: SinkEvent;
}

export const RESOLVER_DEFAULTS = { maxRounds: 16 } as const;

export class DependencyResolver {
  constructor(
    private readonly sink: Sink,
    private readonly fetcher: ResourceFetcher,
    private readonly maxRounds: number = RESOLVER_DEFAULTS.maxRounds,
  ) {}

  /** A node for a fetched representation, read with the sink's own registry (a column its database lacks is not written). Throws InvalidResourceError. */
  node(ev: SinkEvent, rep: Record<string, unknown>, own: boolean): Node {
    // The state's own origin, where the publisher says it (a node in the middle of a tree may hold
    // another node's state than the entry announced): it is what this node writes and remembers.
    const origin = rep[ORIGIN_FIELD];
    if (typeof origin === 'string' && NODE_ID_PATTERN.test(origin) && origin !== ev.origin) ev = { ...ev, origin };
    const tree = toRowTree((this.sink.registry ?? DECLARED_REGISTRY).def(ev.resource), rep, ev.uuid);
    const node: Node = { ev, tree, rep, own, refs: referencesOf(tree, ev) };
    this.sink.prepareItem?.(node);
    return node;
  }

  /**
   * Fetches, round by round, what the graph's nodes refer to and the sink lacks, until nothing
   * is missing. Returns false when the rounds ran out first (a chain deeper than maxRounds).
   * Throws only when a list request fails as a whole (the publisher went away, say).
   */
  async complete(g: Graph, source: FeedAddress, o: CompleteOptions): Promise<boolean> {
    for (let round = 0; round < this.maxRounds; round++) {
      const missing = await this.missing(g, o.pending);
      if (missing.length === 0) return true;
      const byResource = new Map<ResourceName, string[]>();
      for (const r of missing) appendTo(byResource, r.resource, r.uuid);
      await Promise.all([...byResource].map(([resource, uuids]) => this.fetchInto(g, source, resource, uuids, o)));
    }
    return (await this.missing(g, o.pending)).length === 0;
  }

  /** References of the graph's nodes that the sink takes and lacks, and nobody fetched or will write. */
  private async missing(g: Graph, pending: ReadonlySet<string> = new Set()): Promise<RefValue[]> {
    const needed = new Map<string, RefValue>();
    for (const n of g.nodes.values()) {
      for (const r of n.refs) {
        const k = keyOf(r);
        if (this.sink.accepts(r.resource) && !g.nodes.has(k) && !g.unavailable.has(k) && !pending.has(k)) needed.set(k, r);
      }
    }
    if (needed.size === 0) return [];
    const refs = [...needed.values()];
    const present = this.sink.hasMany ? await this.sink.hasMany(refs) : await presentOneByOne(this.sink, refs);
    return refs.filter((r) => !present.has(keyOf(r)));
  }

  private async fetchInto(g: Graph, source: FeedAddress, resource: ResourceName, uuids: string[], o: CompleteOptions): Promise<void> {
    const add = (uuid: string, rep: Record<string, unknown>) => {
      const ev: SinkEvent = { ...o.cause, resource, uuid, action: 'UPDATED', entryId: `${o.cause.entryId} (dependency)` };
      try {
        g.nodes.set(keyOf(ev), this.node(ev, rep, false));
      } catch (err) {
        g.unavailable.set(keyOf(ev), err);
      }
    };
    if (o.each) {
      await Promise.all(
        uuids.map(async (u) => {
          try {
            add(u, await this.fetcher.fetch(source, resource, u));
          } catch (err) {
            g.unavailable.set(keyOf({ resource, uuid: u }), err);
          }
        }),
      );
      return;
    }
    const reps = await this.fetcher.fetchMany(source, resource, uuids);
    for (const u of uuids) {
      const rep = reps.get(u);
      if (rep) add(u, rep);
      else g.unavailable.set(keyOf({ resource, uuid: u }), undefined);
    }
  }

  /**
   * The graph's nodes references-first (depth-first, from `roots` or every node). Nodes on a
   * cycle, or above an unavailable reference, are left out. `follow` picks the references that
   * count (all; or only required ones, to break a cycle at its optional references).
   */
  order(g: Graph, roots: Iterable<string> = g.nodes.keys(), follow: (r: RefValue) => boolean = () => true): Node[] {
    const out: Node[] = [];
    const state = new Map<string, 'visiting' | 'done' | 'bad'>();
    const visit = (key: string): boolean => {
      const s = state.get(key);
      if (s === 'done') return true;
      if (s === 'bad' || s === 'visiting') return false;
      const n = g.nodes.get(key)!;
      state.set(key, 'visiting');
      let ok = true;
      for (const r of n.refs) {
        if (!follow(r)) continue;
        const k = keyOf(r);
        if (g.unavailable.has(k)) ok = false;
        else if (g.nodes.has(k) && !visit(k)) ok = false; // itself included: a self-reference is a cycle
      }
      state.set(key, ok ? 'done' : 'bad');
      if (ok) out.push(n);
      return ok;
    };
    for (const k of roots) if (g.nodes.has(k)) visit(k);
    return out;
  }

  /** The first unavailable reference below `root`, with its error; null when there is none. */
  unavailableBelow(g: Graph, root: string): { key: string; error: unknown } | null {
    const seen = new Set<string>();
    const walk = (key: string): { key: string; error: unknown } | null => {
      if (seen.has(key)) return null;
      seen.add(key);
      for (const r of g.nodes.get(key)?.refs ?? []) {
        const k = keyOf(r);
        if (g.unavailable.has(k)) return { key: k, error: g.unavailable.get(k) };
        const found = g.nodes.has(k) ? walk(k) : null;
        if (found) return found;
      }
      return null;
    };
    return walk(root);
  }

  /** A path round a cycle reachable from `root` through the references `follow` picks ("a -> b -> a"), or null. */
  cycleFrom(g: Graph, root: string, follow: (r: RefValue) => boolean = () => true): string[] | null {
    const stack: string[] = [];
    const done = new Set<string>();
    const walk = (key: string): string[] | null => {
      if (stack.includes(key)) return [...stack, key];
      if (done.has(key) || !g.nodes.has(key)) return null;
      stack.push(key);
      for (const r of g.nodes.get(key)!.refs) {
        if (!follow(r)) continue;
        const found = walk(keyOf(r));
        if (found) return found;
      }
      stack.pop();
      done.add(key);
      return null;
    };
    return walk(root);
  }
}

async function presentOneByOne(sink: Sink, refs: RefValue[]): Promise<Set<string>> {
  const present = new Set<string>();
  for (const r of refs) if (await sink.has(r)) present.add(keyOf(r));
  return present;
}
