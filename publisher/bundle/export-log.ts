// Which log a bundle is cut from: the node's whole log (positions are atomsync_event seq), or a
// child's catchment log (publisher/catchments/), whose positions count that log's entries, so a
// parent's bundle for a child carries what its catchment feed would, and nothing else.
import type { Pool } from '../../shared/db.ts';
import { queryRows } from '../../shared/db.ts';
import type { FeedEvent } from '../../shared/feed-types.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Action } from '../../shared/protocol.ts';
import type { Registry } from '../../shared/registry.ts';
import type { ResourceName } from '../../shared/resources.ts';
import { dbToIso } from '../../shared/time.ts';
import { CatchmentRouter, ensureCatchment } from '../catchments/router.ts';

export interface ExportLog {
  /** `all` or `catchment:<key>`: recorded with the peer, whose positions count in this log. */
  feed: string;
  /** The log's entries after `from`, in order, less those the peer made itself; `seq` is the position in this log. */
  after(from: number, peer: string): Promise<FeedEvent[]>;
  /** Of these uuids of a clinical resource, those the bundle may carry (a catchment's own). */
  mayCarry(resource: ResourceName, uuids: string[]): Promise<Set<string>>;
}

interface EventRow {
  position: number;
  resource: string;
  event_uuid: string;
  uuid: string;
  action: string;
  origin: string;
  changed_at: string;
  published_at: string;
}

const toEvent = (r: EventRow): FeedEvent => ({
  seq: Number(r.position), position: Number(r.position), eventUuid: r.event_uuid, resource: r.resource, uuid: r.uuid, action: r.action as Action,
  origin: r.origin, changedAt: dbToIso(r.changed_at), publishedAt: dbToIso(r.published_at),
});

const COLUMNS = 'e.resource, e.event_uuid, e.uuid, e.action, e.origin, e.changed_at, e.published_at';

export function wholeLog(pool: Pool): ExportLog {
  return {
    feed: 'all',
    async after(from, peer) {
      const rows = await queryRows<EventRow>(pool, `SELECT e.seq AS position, ${COLUMNS} FROM atomsync_event e WHERE e.seq > ? AND e.origin <> ? ORDER BY e.seq`, [from, peer]);
      return rows.map(toEvent);
    },
    async mayCarry(_resource, uuids) {
      return new Set(uuids);
    },
  };
}

/** The catchment of these locations, routed up to the newest event first (no publisher need run). */
export async function catchmentLog(pool: Pool, registry: Registry, log: Logger, locations: string[]): Promise<ExportLog> {
  const c = await ensureCatchment(pool, locations);
  await new CatchmentRouter(pool, registry, log).route(c.id);
  const [{ k }] = await queryRows<{ k: string }>(pool, 'SELECT locations_key AS k FROM atomsync_catchment WHERE id = ?', [c.id]);
  return {
    feed: `catchment:${k}`,
    async after(from, peer) {
      const rows = await queryRows<EventRow>(
        pool,
        `SELECT ce.position, ${COLUMNS} FROM atomsync_catchment_event ce JOIN atomsync_event e ON e.seq = ce.seq
          WHERE ce.catchment_id = ? AND ce.position > ? AND e.origin <> ? ORDER BY ce.position`,
        [c.id, from, peer],
      );
      return rows.map(toEvent);
    },
    async mayCarry(resource, uuids) {
      if (registry.def(resource).kind === 'metadata' || uuids.length === 0) return new Set(uuids);
      const rows = await queryRows<{ u: string }>(
        pool,
        `SELECT DISTINCT e.uuid AS u FROM atomsync_catchment_event ce JOIN atomsync_event e ON e.seq = ce.seq
          WHERE ce.catchment_id = ? AND e.resource = ? AND e.uuid IN (?)`,
        [c.id, resource, uuids],
      );
      return new Set(rows.map((r) => r.u.toLowerCase()));
    },
  };
}
