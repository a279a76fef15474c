// Sync by file, the exporting side: every change a peer has not acknowledged, with the states
// the changes name and everything those refer to, written as signed bundle files
// (shared/bundle/format.ts), split into parts when a part would be larger than --max-size.
import { randomUUID } from 'node:crypto';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { encodeBundle, reheader } from '../../shared/bundle/format.ts';
import type { BundleResource } from '../../shared/bundle/format.ts';
import { peerState, recordExport } from '../../shared/bundle/peers.ts';
import { referencesIn } from '../../shared/bundle/references.ts';
import type { Pool } from '../../shared/db.ts';
import type { FeedEvent } from '../../shared/feed-types.ts';
import { loadRegistry } from '../../shared/registry.ts';
import type { Registry } from '../../shared/registry.ts';
import { isResourceName } from '../../shared/resources.ts';
import type { ResourceName } from '../../shared/resources.ts';
import { readMeta } from '../../shared/schema/migrate.ts';
import { representationsWithOrigins } from '../state-origins.ts';
import { Relay } from '../relay.ts';
import { catchmentLog, wholeLog } from './export-log.ts';
import type { ExportLog } from './export-log.ts';
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
  /** Location uuids of the peer's catchment: only what its catchment feed would carry. */
  catchment?: string[];
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
  const log = o.catchment ? await catchmentLog(o.pool, registry, silentLogger, o.catchment) : wholeLog(o.pool);
  const peer = await peerState(o.pool, o.peer);
  if (peer.exports > 0 && peer.feed !== log.feed) {
    throw new Error(`${o.peer} was sent ${peer.feed === 'all' ? 'the whole log' : 'a catchment'} before, and ${o.catchment ? 'a catchment' : 'the whole log'} now: positions would not match. Give the same --catchment as before`);
  }
  const ackedTo = peer.ackedTo;
  const events = await log.after(ackedTo, o.peer);
  const exportId = randomUUID();
  const result: ExportResult = { exportId, origin, files: [] };
  if (events.length === 0) return result;
  const parts = await writeParts(o, { exportId, origin, from: ackedTo }, events, (slice) => statesFor(o.pool, registry, log, slice, origin));
  // Numbered now that the count is known: the header names its part of how many.
  for (const [k, p] of parts.entries()) {
    const file = parts.length === 1 ? o.out : `${o.out}.${k + 1}-of-${parts.length}`;
    const bytes = reheader(o.key, await readFile(p.tmp), { part: k + 1, parts: parts.length });
    await writeFile(file, bytes);
    await unlink(p.tmp);
    result.files.push({ file, from: p.from, to: p.to, events: p.events, resources: p.resources, bytes: bytes.length });
  }
  await recordExport(o.pool, o.peer, log.feed, exportId, parts[parts.length - 1].to);
  return result;
}

/** Events in a part at most: what one part holds in memory while it is made, and at the importing end. */
export const MAX_PART_EVENTS = 20_000;

interface WrittenPart {
  tmp: string;
  from: number;
  to: number;
  events: number;
  resources: number;
}

/** Cuts the events into parts (at most MAX_PART_EVENTS, and --max-size bytes), each written to a temporary file as it is made. */
async function writeParts(
  o: ExportOptions,
  h: { exportId: string; origin: string; from: number },
  events: FeedEvent[],
  statesOf: (slice: FeedEvent[]) => Promise<BundleResource[]>,
): Promise<WrittenPart[]> {
  const parts: WrittenPart[] = [];
  let from = h.from;
  for (let i = 0; i < events.length; ) {
    let n = Math.min(events.length - i, MAX_PART_EVENTS);
    for (;;) {
      const slice = events.slice(i, i + n);
      const resources = await statesOf(slice);
      const to = slice[slice.length - 1].seq;
      const header = { exportId: h.exportId, origin: h.origin, peer: o.peer, part: 0, parts: 0, from, to, events: slice.length, resources: resources.length, createdAt: new Date().toISOString() };
      const bytes = encodeBundle(o.key, header, { events: slice, resources });
      if (o.maxBytes === undefined || bytes.length <= o.maxBytes || n === 1) {
        if (o.maxBytes !== undefined && bytes.length > o.maxBytes) throw new Error(`one change alone takes ${bytes.length} bytes, more than --max-size ${o.maxBytes}`);
        const tmp = `${o.out}.part-${parts.length + 1}.tmp`;
        await writeFile(tmp, bytes);
        parts.push({ tmp, from, to, events: slice.length, resources: resources.length });
        from = to;
        i += n;
        o.progress?.(`  part ${parts.length}: ${i}/${events.length} changes`);
        break;
      }
      n = Math.max(1, Math.floor((n * o.maxBytes * 0.9) / bytes.length));
    }
  }
  return parts;
}

/** The current states the events name, and round by round what they refer to, in the lean `sync` form. */
async function statesFor(pool: Pool, registry: Registry, log: ExportLog, events: FeedEvent[], origin: string): Promise<BundleResource[]> {
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
        const allowed = await log.mayCarry(resource, uuids.slice(i, i + 500));
        const chunk = uuids.slice(i, i + 500).filter((u) => allowed.has(u));
        const reps = await representationsWithOrigins(pool, def, chunk, '', 'sync', origin);
        for (const [uuid, rep] of reps) {
          out.set(`${resource}/${uuid}`, { resource, uuid, rep });
          for (const ref of referencesIn(def, rep)) want(ref.resource, ref.uuid);
        }
      }
    }
  }
  return [...out.values()];
}
