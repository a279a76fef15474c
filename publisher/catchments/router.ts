// Routes the node's events into the logs of its children's catchments (issue 18).
//
// A catchment is a set of locations, each with its descendants in the location hierarchy. Its
// log (atomsync_catchment_event) is a sequence of positions, gap-free from 1 and append-only,
// each naming an event of atomsync_event; so its pages, once full, never change. Events are
// routed in seq order, a chunk per transaction, from the catchment's routed_seq on:
//   - an event of everyone's resource (metadata, locations, providers) goes to every catchment;
//   - an event of a patient's resource goes to the catchments the patient is in. A patient is in
//     a catchment from the first event at which they have an identifier, a visit or an encounter
//     at one of its locations, or an address the operator maps to one of them (address-rules.ts).
//     At that event the patient's whole record enters the log first (the newest event of each of
//     its resources, up to that seq), so the child receives the record, not only what changes
//     from then on. A patient who leaves stays in.
//   - an event whose row is gone (a deletion) goes to every catchment: a child that never had the
//     row has nothing to delete, and the entry carries no patient data.
// A catchment made later is routed from seq 1, so it too starts with everything it concerns.
// After the events, the patients who match an address rule added since the last pass enter, at
// routed_seq, with their whole record (address-sweep.ts).
import { createHash } from 'node:crypto';
import { queryRows, retryingTransaction } from '../../shared/db.ts';
import type { Pool, PoolConnection, Queryable } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Registry } from '../../shared/registry.ts';
import { isResourceName } from '../../shared/resources.ts';
import type { ResourceName } from '../../shared/resources.ts';
import { catchmentCategory, catchmentLocations } from '../../shared/protocol.ts';
import { ownersOf } from './owners.ts';
import { recordEvents, strangerEvents } from './record-events.ts';
import type { Owners } from './owners.ts';
import { addressFieldsOf, patientsMatching, rulesUnder } from './address-rules.ts';
import { sweepAddressRules } from './address-sweep.ts';

/** chunkEvents: events routed per transaction; sweepPatients: patients a new address rule brings in per transaction. */
export const ROUTER_DEFAULTS = { chunkEvents: 1000, sweepPatients: 50 } as const;

export interface Catchment {
  id: number;
  locations: string[];
  routedSeq: number;
  positions: number;
}

export class UnknownLocationError extends Error {
  constructor(
    readonly uuids: string[],
    why = "a catchment is a set of this node's locations",
  ) {
    super(`no location with uuid ${uuids.join(', ')} on this node: ${why}`);
    this.name = 'UnknownLocationError';
  }
}

/** The key of a set of locations: a hash of its feed category, the same whatever their order or case. */
export function catchmentKey(locationUuids: string[]): string {
  return createHash('sha256').update(catchmentCategory(locationUuids)).digest('hex');
}

/** The catchment of these locations, made (empty, to be routed from seq 1) if it is new. Every uuid must be a location here. */
export async function ensureCatchment(pool: Pool, locationUuids: string[]): Promise<Catchment> {
  const wanted = [...new Set(locationUuids.map((u) => u.trim()).filter(Boolean))];
  if (wanted.length === 0) throw new UnknownLocationError(['(none given)']);
  const found = await queryRows<{ u: string }>(pool, 'SELECT uuid AS u FROM location WHERE uuid IN (?)', [wanted]);
  const have = new Set(found.map((r) => r.u.toLowerCase()));
  const missing = wanted.filter((u) => !have.has(u.toLowerCase()));
  if (missing.length > 0) throw new UnknownLocationError(missing);
  const key = catchmentKey(wanted);
  await pool.query('INSERT IGNORE INTO atomsync_catchment (locations_key, locations) VALUES (?, ?)', [key, JSON.stringify(found.map((r) => r.u).sort())]);
  const [row] = await queryRows<{ id: number; locations: string; routed_seq: number; positions: number }>(
    pool,
    'SELECT id, locations, routed_seq, positions FROM atomsync_catchment WHERE locations_key = ?',
    [key],
  );
  return { id: Number(row.id), locations: JSON.parse(row.locations), routedSeq: Number(row.routed_seq), positions: Number(row.positions) };
}

/** The ids of these locations and all their descendants, as the hierarchy stands now. */
export async function locationIdsUnder(db: Queryable, locationUuids: string[]): Promise<Set<number>> {
  if (locationUuids.length === 0) return new Set();
  const rows = await queryRows<{ id: number }>(
    db,
    `WITH RECURSIVE under (id) AS (
       SELECT location_id FROM location WHERE uuid IN (?)
       UNION SELECT l.location_id FROM location l JOIN under u ON l.parent_location = u.id
     ) SELECT id FROM under`,
    [locationUuids],
  );
  return new Set(rows.map((r) => Number(r.id)));
}

/**
 * Which of these uuids of one resource a catchment's log names (in lower case): what a reader
 * confined to these catchments may fetch. `categories` are catchment feed categories.
 */
export async function uuidsInCatchments(db: Queryable, categories: Iterable<string>, resource: ResourceName, uuids: string[]): Promise<Set<string>> {
  const keys = [...categories].map((c) => catchmentKey(catchmentLocations(c) ?? []));
  if (keys.length === 0 || uuids.length === 0) return new Set();
  const rows = await queryRows<{ u: string }>(
    db,
    `SELECT DISTINCT e.uuid AS u FROM atomsync_catchment c
       JOIN atomsync_catchment_event ce ON ce.catchment_id = c.id
       JOIN atomsync_event e ON e.seq = ce.seq
     WHERE c.locations_key IN (?) AND e.resource = ? AND e.uuid IN (?)`,
    [keys, resource, uuids],
  );
  return new Set(rows.map((r) => r.u.toLowerCase()));
}

interface EventRow {
  seq: number;
  resource: string;
  uuid: string;
}

export class CatchmentRouter {
  private readonly o: { chunkEvents: number; sweepPatients: number };
  /** The person_address fields address rules may name here, read once. */
  private fields: Promise<string[]> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly registry: Registry,
    private readonly log: Logger,
    opts: { chunkEvents?: number; sweepPatients?: number } = {},
  ) {
    this.o = { ...ROUTER_DEFAULTS, ...opts };
  }

  /** Routes every catchment up to the newest event; returns the entries appended. */
  async routeAll(): Promise<number> {
    const ids = await queryRows<{ id: number }>(this.pool, 'SELECT id FROM atomsync_catchment ORDER BY id');
    let appended = 0;
    for (const { id } of ids) appended += await this.route(Number(id));
    return appended;
  }

  /**
   * Routes one catchment up to the newest event, a chunk per transaction, then brings in the
   * patients of address rules added since; returns the entries appended.
   */
  async route(catchmentId: number): Promise<number> {
    let appended = 0;
    for (;;) {
      const r = await retryingTransaction(this.pool, (conn) => this.chunk(conn, catchmentId));
      appended += r.appended;
      if (r.events < this.o.chunkEvents) break;
    }
    return appended + (await sweepAddressRules(this.pool, catchmentId, this, this.log, this.o.sweepPatients));
  }

  /** The person_address fields address rules may name in this database. */
  addressFields(): Promise<string[]> {
    this.fields ??= addressFieldsOf(this.pool).catch((err) => {
      this.fields = null;
      throw err;
    });
    return this.fields;
  }

  private async chunk(conn: PoolConnection, catchmentId: number): Promise<{ events: number; appended: number }> {
    const [c] = await queryRows<{ locations: string; routed_seq: number; positions: number }>(
      conn,
      'SELECT locations, routed_seq, positions FROM atomsync_catchment WHERE id = ? FOR UPDATE',
      [catchmentId],
    );
    if (!c) return { events: 0, appended: 0 };
    const events = await queryRows<EventRow>(
      conn,
      'SELECT seq, resource, uuid FROM atomsync_event WHERE seq > ? ORDER BY seq LIMIT ?',
      [Number(c.routed_seq), this.o.chunkEvents],
    );
    if (events.length === 0) return { events: 0, appended: 0 };
    const locations = await locationIdsUnder(conn, JSON.parse(c.locations));
    const owners = await this.ownersOfEvents(conn, events);
    const members = await this.memberSet(conn, catchmentId);
    const addressed = await this.addressedAmong(conn, owners, members, locations);
    const entries: number[] = [];
    const inLog = new Set<number>();
    const append = (seq: number) => {
      if (inLog.has(seq)) return;
      inLog.add(seq);
      entries.push(seq);
    };
    for (const e of events) {
      const own = owners.get(ownerKey(e.resource, e.uuid));
      if (own === undefined || own === 'everyone') {
        append(Number(e.seq));
        continue;
      }
      // A relationship needs both of its patients here (the child could not apply it without the
      // other person); anything else, one of its patients.
      const everyOwner = e.resource === 'relationship';
      let concerned = everyOwner;
      for (const patientId of own) {
        let member = members.has(patientId);
        if (!member && (addressed.has(patientId) || (await this.entersAt(conn, patientId, locations)))) {
          members.add(patientId);
          await conn.query('INSERT IGNORE INTO atomsync_catchment_patient (catchment_id, patient_id, entered_seq) VALUES (?, ?, ?)', [catchmentId, patientId, e.seq]);
          for (const seq of await this.recordEvents(conn, catchmentId, patientId, Number(e.seq), members)) append(seq);
          member = true;
        }
        concerned = everyOwner ? concerned && member : concerned || member;
      }
      // The people a relationship ties to a patient here, held back until now (owners.ts).
      if (concerned && e.resource === 'relationship') for (const seq of await strangerEvents(conn, catchmentId, e.uuid, Number(e.seq))) append(seq);
      if (concerned) append(Number(e.seq));
    }
    const from = Number(c.positions);
    if (entries.length > 0) {
      await conn.query('INSERT INTO atomsync_catchment_event (catchment_id, position, seq) VALUES ?', [entries.map((seq, i) => [catchmentId, from + i + 1, seq])]);
    }
    const last = Number(events[events.length - 1].seq);
    await conn.query('UPDATE atomsync_catchment SET routed_seq = ?, positions = ? WHERE id = ?', [last, from + entries.length, catchmentId]);
    this.log.debug('routed events into a catchment', { catchment: catchmentId, events: events.length, appended: entries.length, routedSeq: last });
    return { events: events.length, appended: entries.length };
  }

  /** The owners of every event's resource, looked up a resource kind at a time. Gone rows are absent. */
  private async ownersOfEvents(conn: Queryable, events: EventRow[]): Promise<Map<string, Owners>> {
    const byResource = new Map<ResourceName, string[]>();
    for (const e of events) {
      if (!isResourceName(e.resource)) continue;
      const list = byResource.get(e.resource) ?? [];
      list.push(e.uuid);
      byResource.set(e.resource, list);
    }
    const out = new Map<string, Owners>();
    for (const [resource, uuids] of byResource) {
      for (const [u, o] of await ownersOf(conn, this.registry, resource, [...new Set(uuids)])) out.set(ownerKey(resource, u), o);
    }
    return out;
  }

  /** Which owners of the chunk's events, not yet in the catchment, have an address mapped to one of its locations. */
  private async addressedAmong(conn: Queryable, owners: Map<string, Owners>, members: ReadonlySet<number>, locations: Set<number>): Promise<Set<number>> {
    const rules = await rulesUnder(conn, locations, await this.addressFields());
    if (rules.length === 0) return new Set();
    const candidates = new Set<number>();
    for (const o of owners.values()) if (o !== 'everyone') for (const p of o) if (!members.has(p)) candidates.add(p);
    return patientsMatching(conn, [...candidates], rules);
  }

  async memberSet(conn: Queryable, catchmentId: number): Promise<Set<number>> {
    const rows = await queryRows<{ p: number }>(conn, 'SELECT patient_id AS p FROM atomsync_catchment_patient WHERE catchment_id = ?', [catchmentId]);
    return new Set(rows.map((r) => Number(r.p)));
  }

  /** Whether the patient has an identifier, a visit or an encounter at one of the locations. */
  private async entersAt(conn: Queryable, patientId: number, locations: Set<number>): Promise<boolean> {
    if (locations.size === 0) return false;
    const ids = [...locations];
    const [hit] = await queryRows<{ n: number }>(
      conn,
      `SELECT EXISTS (SELECT 1 FROM patient_identifier WHERE patient_id = ? AND location_id IN (?))
           OR EXISTS (SELECT 1 FROM visit WHERE patient_id = ? AND location_id IN (?))
           OR EXISTS (SELECT 1 FROM encounter WHERE patient_id = ? AND location_id IN (?)) AS n`,
      [patientId, ids, patientId, ids, patientId, ids],
    );
    return Number(hit.n) === 1;
  }

  /** See record-events.ts. */
  recordEvents(conn: Queryable, catchmentId: number, patientId: number, uptoSeq: number, members: ReadonlySet<number>): Promise<number[]> {
    return recordEvents(conn, this.registry, catchmentId, patientId, uptoSeq, members);
  }
}

function ownerKey(resource: string, uuid: string): string {
  return `${resource}/${uuid.toLowerCase()}`;
}
