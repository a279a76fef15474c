// What a catchment's log takes when someone enters it: the newest event of each resource of a
// patient's record, or of the people a relationship ties to a patient there, less what the log
// names already (router.ts).
import { queryRows } from '../../shared/db.ts';
import type { Queryable } from '../../shared/db.ts';
import type { Registry } from '../../shared/registry.ts';
import type { ResourceName } from '../../shared/resources.ts';
import { ownersOf, recordOf, strangersOf } from './owners.ts';

/**
 * The newest event, up to `uptoSeq`, of each resource of the patient's record that the log does
 * not name yet, oldest first. `members` includes the patient.
 */
export async function recordEvents(
conn: Queryable,
registry: Registry,
catchmentId: number,
patientId: number,
uptoSeq: number,
members: ReadonlySet<number>,
): Promise<number[]> {
  let record = await recordOf(conn, registry, patientId);
  // Relationships only with patients who are here too (or with people who are no patients).
  const rels = record.filter((r) => r.resource === 'relationship').map((r) => r.uuid);
  if (rels.length > 0) {
    const owners = await ownersOf(conn, registry, 'relationship', rels);
    const away = new Set(rels.filter((u) => {
      const o = owners.get(u.toLowerCase());
      return o !== undefined && o !== 'everyone' && o.some((p) => !members.has(p));
    }));
    record = record.filter((r) => r.resource !== 'relationship' || !away.has(r.uuid));
  }
  if (record.length === 0) return [];
  const seqs: number[] = [];
  const byResource = new Map<ResourceName, string[]>();
  for (const r of record) {
    const list = byResource.get(r.resource);
    if (list) list.push(r.uuid);
    else byResource.set(r.resource, [r.uuid]);
  }
  for (const [resource, uuids] of byResource) {
    const rows = await queryRows<{ s: number }>(
      conn,
      `SELECT MAX(e.seq) AS s FROM atomsync_event e WHERE e.resource = ? AND e.uuid IN (?) AND e.seq <= ? GROUP BY e.uuid`,
      [resource, uuids, uptoSeq],
    );
    seqs.push(...rows.map((r) => Number(r.s)));
  }
  return notInLog(conn, catchmentId, seqs);
}

/** The newest event, up to `uptoSeq`, of each person of the relationship who is no patient, that the log does not name yet. */
export async function strangerEvents(conn: Queryable, catchmentId: number, relationshipUuid: string, uptoSeq: number): Promise<number[]> {
  const people = (await strangersOf(conn, [relationshipUuid])).get(relationshipUuid.toLowerCase()) ?? [];
  if (people.length === 0) return [];
  const rows = await queryRows<{ s: number }>(
    conn,
    `SELECT MAX(seq) AS s FROM atomsync_event WHERE resource = 'person' AND uuid IN (?) AND seq <= ? GROUP BY uuid`,
    [people, uptoSeq],
  );
  return notInLog(conn, catchmentId, rows.map((r) => Number(r.s)));
}

/** These seqs less those the catchment's log names already, in order. */
async function notInLog(conn: Queryable, catchmentId: number, seqs: number[]): Promise<number[]> {
if (seqs.length === 0) return [];
const named = await queryRows<{ s: number }>(conn, 'SELECT seq AS s FROM atomsync_catchment_event WHERE catchment_id = ? AND seq IN (?)', [catchmentId, seqs]);
const already = new Set(named.map((r) => Number(r.s)));
return seqs.filter((s) => !already.has(s)).sort((a, b) => a - b);
}
