// The patients an address rule brings into a catchment when the rule is added (address-rules.ts).
//
// The router sees a patient when an event of theirs is routed; a patient who matches a new rule
// but has nothing new would never be seen. So after each routing pass, the rules that cover the
// catchment and have not been swept for it yet are swept: the patients who match one and are not
// in the catchment enter it at its routed_seq, with their whole record (the newest event of each
// of its resources up to that seq), a bounded batch of patients per transaction. A rule is marked
// swept for the catchment once no patient is left to bring in, so each enters once. Removing a
// rule makes nobody leave. A rule of a location that moves under the catchment later is swept then.
import { queryRows, retryingTransaction } from '../../shared/db.ts';
import type { Pool, PoolConnection, Queryable } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import { newcomersMatching, rulesUnder } from './address-rules.ts';
import type { RuleOfLocation } from './address-rules.ts';
import { locationIdsUnder } from './router.ts';

/** What the sweep needs of the router: its members, a patient's record events, the address fields. */
export interface RecordSource {
  memberSet(conn: Queryable, catchmentId: number): Promise<Set<number>>;
  recordEvents(conn: Queryable, catchmentId: number, patientId: number, uptoSeq: number, members: ReadonlySet<number>): Promise<number[]>;
  addressFields(): Promise<string[]>;
}

/** Sweeps the catchment's unswept address rules; returns the entries appended. */
export async function sweepAddressRules(pool: Pool, catchmentId: number, source: RecordSource, log: Logger, patientsPerTx: number): Promise<number> {
  // A look without a lock first: most passes have no rule to sweep, most nodes no rule at all.
  const [{ any }] = await queryRows<{ any: number }>(pool, 'SELECT EXISTS (SELECT 1 FROM atomsync_catchment_address) AS `any`');
  if (Number(any) === 0 || (await unsweptRules(pool, catchmentId, source)).length === 0) return 0;
  let appended = 0;
  let entered = 0;
  for (;;) {
    const r = await retryingTransaction(pool, (conn) => sweepBatch(conn, catchmentId, source, patientsPerTx));
    appended += r.appended;
    entered += r.entered;
    if (r.done) break;
  }
  log.debug('address rules swept into a catchment', { catchment: catchmentId, patients: entered, appended });
  return appended;
}

/** The rules covering the catchment's locations (as the hierarchy stands now) not yet swept for it. */
async function unsweptRules(db: Queryable, catchmentId: number, source: RecordSource, locations?: string[]): Promise<RuleOfLocation[]> {
  let uuids = locations;
  if (!uuids) {
    const [c] = await queryRows<{ locations: string }>(db, 'SELECT locations FROM atomsync_catchment WHERE id = ?', [catchmentId]);
    if (!c) return [];
    uuids = JSON.parse(c.locations) as string[];
  }
  const rules = await rulesUnder(db, await locationIdsUnder(db, uuids), await source.addressFields());
  if (rules.length === 0) return [];
  const swept = await queryRows<{ r: number }>(db, 'SELECT rule_id AS r FROM atomsync_catchment_address_swept WHERE catchment_id = ? AND rule_id IN (?)', [
    catchmentId,
    rules.map((r) => r.id),
  ]);
  const done = new Set(swept.map((s) => Number(s.r)));
  return rules.filter((r) => !done.has(r.id));
}

/**
 * One transaction: up to `limit` matching patients enter, their records appended to the log after
 * what it holds. When fewer were left, the rules are marked swept.
 */
async function sweepBatch(conn: PoolConnection, catchmentId: number, source: RecordSource, limit: number): Promise<{ done: boolean; entered: number; appended: number }> {
  // The catchment's row is locked, as by a routing chunk: one writer of its log at a time.
  const [c] = await queryRows<{ locations: string; routed_seq: number; positions: number }>(
    conn,
    'SELECT locations, routed_seq, positions FROM atomsync_catchment WHERE id = ? FOR UPDATE',
    [catchmentId],
  );
  if (!c) return { done: true, entered: 0, appended: 0 };
  const rules = await unsweptRules(conn, catchmentId, source, JSON.parse(c.locations));
  if (rules.length === 0) return { done: true, entered: 0, appended: 0 };
  const newcomers = await newcomersMatching(conn, catchmentId, rules, limit);
  const at = Number(c.routed_seq);
  const members = await source.memberSet(conn, catchmentId);
  const entries: number[] = [];
  const inLog = new Set<number>();
  for (const p of newcomers) {
    members.add(p);
    await conn.query('INSERT IGNORE INTO atomsync_catchment_patient (catchment_id, patient_id, entered_seq) VALUES (?, ?, ?)', [catchmentId, p, at]);
    for (const seq of await source.recordEvents(conn, catchmentId, p, at, members)) {
      if (inLog.has(seq)) continue;
      inLog.add(seq);
      entries.push(seq);
    }
  }
  const from = Number(c.positions);
  if (entries.length > 0) {
    await conn.query('INSERT INTO atomsync_catchment_event (catchment_id, position, seq) VALUES ?', [entries.map((seq, i) => [catchmentId, from + i + 1, seq])]);
    await conn.query('UPDATE atomsync_catchment SET positions = ? WHERE id = ?', [from + entries.length, catchmentId]);
  }
  const done = newcomers.length < limit;
  if (done) {
    await conn.query('INSERT IGNORE INTO atomsync_catchment_address_swept (catchment_id, rule_id, swept_seq) VALUES ?', [rules.map((r) => [catchmentId, r.id, at])]);
  }
  return { done, entered: newcomers.length, appended: entries.length };
}
