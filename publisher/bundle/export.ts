// Sync by file, the exporting side: every change a peer has not acknowledged, with the states
// the changes name and everything those refer to, written as signed bundle files
// (shared/bundle/format.ts), split into parts when a part would be larger than --max-size.
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { encodeBundle } from '../../shared/bundle/format.ts';
import type { BundleResource } from '../../shared/bundle/format.ts';
import { peerState, recordExport } from '../../shared/bundle/peers.ts';
import { referencesIn } from '../../shared/bundle/references.ts';
import { queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import type { FeedEvent } from '../../shared/feed-types.ts';
import { ORIGIN_FIELD } from '../../shared/protocol.ts';
import type { Action } from '../../shared/protocol.ts';
import { loadRegistry } from '../../shared/registry.ts';
import type { Registry } from '../../shared/registry.ts';
import { loadRepresentations } from '../../shared/representation.ts';
import { isResourceName } from '../../shared/resources.ts';
import type { ResourceName } from '../../shared/resources.ts';
import { readMeta } from '../../shared/schema/migrate.ts';
import { dbToIso } from '../../shared/time.ts';
import { statesOrigins } from '../state-origins.ts';
import { Relay } from '../relay.ts';
import { silentLogger } from '../../shared/logger.ts';

export interface ExportOptions {
  pool: Pool;
  key: Buffer;
  /** The node the bundle is for. */
  peer: string;
  /** File name; parts are named `<out>.1-of-3` and so on. */
  out: string;
  /** Largest part in bytes; unlimited when absent. */
  maxBytes?: number;
  progress?: (line: string) => void;
}

export interface ExportResult {
  exportId: string;
  origin: string;
  files: Array<{ file: string; from: number; to: number; events: number; resources: number; bytes: number }>;
}

/** Rounds of "what do these refer to" (a concept's answers' classes ...), as the subscriber's resolver allows. */
const MAX_ROUNDS = 16;

export async function exportBundle(o: ExportOptions): Promise<ExportResult> {
  const origin = (await readMeta(o.pool)).node_id;
  if (!origin) throw new Error("this database has no node id; run `atomsync migrate --node-id ...` first");
  if (o.peer === origin) throw new Error(`--for ${o.peer} is this node itself`);
  // Changes still in the outbox are numbered first: a site without a network may run no publisher.
  await new Relay(o.pool, silentLogger, { nodeId: origin }).drain();
  const registry = await loadRegistry(o.pool);
  const { ackedTo } = await peerState(o.pool, o.peer);
  const events = await eventsAfter(o.pool, ackedTo, o.peer);
  const exportId = randomUUID();
  const result: ExportResult = { exportId, origin, files: [] };
  if (events.length === 0) return result;
  const parts: Array<{ from: number; to: number; events: FeedEvent[]; resources: BundleResource[] }> = [];
  let from = ackedTo;
  for (let i = 0; i < events.length; ) {
    let n = events.length - i;
    for (;;) {
      const slice = events.slice(i, i + n);
      const resources = await statesFor(o.pool, registry, slice);
      const to = slice[slice.length - 1].seq;
      const header = { exportId, origin, peer: o.peer, part: 0, parts: 0, from, to, events: slice.length, resources: resources.length, createdAt: new Date().toISOString() };
      const bytes = encodeBundle(o.key, header, { events: slice, resources });
      if (o.maxBytes === undefined || bytes.length <= o.maxBytes || n === 1) {
        if (o.maxBytes !== undefined && bytes.length > o.maxBytes) throw new Error(`one change alone takes ${bytes.length} bytes, more than --max-size ${o.maxBytes}`);
        parts.push({ from, to, events: slice, resources });
        from = to;
        i += n;
        o.progress?.(`  part ${parts.length}: ${i}/${events.length} changes`);
        break;
      }
      n = Math.max(1, Math.floor((n * o.maxBytes * 0.9) / bytes.length));
    }
  }
  // Numbered now that the count is known: the header names its part of how many.
  for (const [k, p] of parts.entries()) {
    const file = parts.length === 1 ? o.out : `${o.out}.${k + 1}-of-${parts.length}`;
    const header = { exportId, origin, peer: o.peer, part: k + 1, parts: parts.length, from: p.from, to: p.to, events: p.events.length, resources: p.resources.length, createdAt: new Date().toISOString() };
    const bytes = encodeBundle(o.key, header, { events: p.events, resources: p.resources });
    await writeFile(file, bytes);
    result.files.push({ file, from: p.from, to: p.to, events: p.events.length, resources: p.resources.length, bytes: bytes.length });
  }
  await recordExport(o.pool, o.peer, exportId, parts[parts.length - 1].to);
  return result;
}

interface EventRow {
  seq: number;
  resource: string;
  position: number;
  event_uuid: string;
  uuid: string;
  action: string;
  origin: string;
  changed_at: string;
  published_at: string;
}

/** The node's events after `from`, in order, less those the peer made itself (it has them). */
async function eventsAfter(pool: Pool, from: number, peer: string): Promise<FeedEvent[]> {
  const rows = await queryRows<EventRow>(
    pool,
    'SELECT seq, resource, position, event_uuid, uuid, action, origin, changed_at, published_at FROM atomsync_event WHERE seq > ? AND origin <> ? ORDER BY seq',
    [from, peer],
  );
  return rows.map((r) => ({
    seq: Number(r.seq), position: Number(r.seq), eventUuid: r.event_uuid, resource: r.resource, uuid: r.uuid, action: r.action as Action,
    origin: r.origin, changedAt: dbToIso(r.changed_at), publishedAt: dbToIso(r.published_at),
  }));
}

/** The current states the events name, and round by round what they refer to, in the lean `sync` form. */
async function statesFor(pool: Pool, registry: Registry, events: FeedEvent[]): Promise<BundleResource[]> {
  const out = new Map<string, BundleResource>();
  const asked = new Set<string>();
  let wanted = new Map<ResourceName, Set<string>>();
  const want = (resource: string, uuid: string) => {
    const k = `${resource}/${uuid.toLowerCase()}`;
    if (!isResourceName(resource) || asked.has(k) || !registry.has(resource)) return;
    asked.add(k);
    if (!wanted.has(resource)) wanted.set(resource, new Set());
    wanted.get(resource)!.add(uuid.toLowerCase());
  };
  for (const e of events) want(e.resource, e.uuid);
  for (let round = 0; round < MAX_ROUNDS && wanted.size > 0; round++) {
    const asking = wanted;
    wanted = new Map();
    for (const [resource, set] of asking) {
      const def = registry.def(resource);
      const uuids = [...set];
      for (let i = 0; i < uuids.length; i += 500) {
        const chunk = uuids.slice(i, i + 500);
        const reps = await loadRepresentations(pool, def, chunk, '', 'sync');
        const origins = await statesOrigins(pool, resource, [...reps.keys()], '');
        for (const [uuid, rep] of reps) {
          const made = origins.get(uuid);
          if (made) rep[ORIGIN_FIELD] = made;
          out.set(`${resource}/${uuid}`, { resource, uuid, rep });
          for (const ref of referencesIn(def, rep)) want(ref.resource, ref.uuid);
        }
      }
    }
  }
  return [...out.values()];
}
