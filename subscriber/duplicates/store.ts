// atomsync_duplicate: writing a scan's candidates, reading them for review, rejecting one.
import type { ResultSetHeader } from 'mysql2/promise';
import { queryRows } from '../../shared/db.ts';
import type { Queryable } from '../../shared/db.ts';
import { DUPLICATE_TABLES } from '../../shared/schema/duplicate-tables.ts';
import type { MatchClass, Reasons } from './classify.ts';

export type DuplicateStatus = 'open' | 'merged' | 'rejected';

export interface Candidate {
  /** Person uuids; orderPair puts the smaller first. */
  patientA: string;
  patientB: string;
  class: MatchClass;
  score: number;
  reasons: Reasons;
}

export interface StoredCandidate extends Candidate {
  id: number;
  status: DuplicateStatus;
  detectedAt: string;
  updatedAt: string;
  reviewedAt: string | null;
}

/** A pair has one row whichever way round it was found. */
export function orderPair(a: string, b: string): [string, string] {
  return a < b ? [a, b] : [b, a];
}

/** Scans may run on a database never migrated by atomsync (a plain OpenMRS one): the table is made if missing. */
export async function ensureDuplicateTable(db: Queryable): Promise<void> {
  for (const t of DUPLICATE_TABLES) await db.query(t.ddl);
}

const ROWS_PER_INSERT = 500;

async function countRows(db: Queryable): Promise<number> {
  const [r] = await queryRows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM atomsync_duplicate');
  return Number(r.n);
}

/**
 * Records candidates. Idempotent: a pair already there keeps its row and id; an open one gets
 * this scan's class, score and reasons (the records may have changed); a rejected or merged one
 * is left exactly as it is, so a rejected pair is never proposed again. Returns how many pairs
 * were new.
 */
export async function upsertCandidates(db: Queryable, candidates: readonly Candidate[]): Promise<number> {
  // New pairs are counted by the table's size: affectedRows mixes inserts (1) and updates (2).
  const before = await countRows(db);
  for (let i = 0; i < candidates.length; i += ROWS_PER_INSERT) {
    const rows = candidates.slice(i, i + ROWS_PER_INSERT).map((c) => {
      const [a, b] = orderPair(c.patientA, c.patientB);
      return [a, b, c.class, c.score, JSON.stringify(c.reasons)];
    });
    await db.query(
      `INSERT INTO atomsync_duplicate (patient_a, patient_b, class, score, reasons) VALUES ?
       ON DUPLICATE KEY UPDATE
         updated_at = IF(status = 'open' AND (class <> VALUES(class) OR score <> VALUES(score) OR reasons <> VALUES(reasons)), CURRENT_TIMESTAMP(3), updated_at),
         class = IF(status = 'open', VALUES(class), class),
         score = IF(status = 'open', VALUES(score), score),
         reasons = IF(status = 'open', VALUES(reasons), reasons)`,
      [rows],
    );
  }
  return (await countRows(db)) - before;
}

interface Row {
  id: number; patient_a: string; patient_b: string; class: MatchClass; score: string; reasons: string;
  status: DuplicateStatus; detected_at: string; updated_at: string; reviewed_at: string | null;
}

const COLUMNS = `id, patient_a, patient_b, class, score, reasons, status,
  DATE_FORMAT(detected_at, '%Y-%m-%d %H:%i:%s') AS detected_at, DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s') AS updated_at,
  DATE_FORMAT(reviewed_at, '%Y-%m-%d %H:%i:%s') AS reviewed_at`;

function fromRow(r: Row): StoredCandidate {
  return {
    id: Number(r.id), patientA: r.patient_a, patientB: r.patient_b, class: r.class, score: Number(r.score),
    reasons: JSON.parse(r.reasons) as Reasons, status: r.status, detectedAt: r.detected_at, updatedAt: r.updated_at, reviewedAt: r.reviewed_at,
  };
}

/** Candidates to review first: open before reviewed, certain before probable, higher score first. */
export async function listCandidates(db: Queryable, o: { status?: DuplicateStatus | 'all'; limit?: number } = {}): Promise<StoredCandidate[]> {
  const status = o.status ?? 'open';
  const rows = await queryRows<Row>(
    db,
    `SELECT ${COLUMNS} FROM atomsync_duplicate ${status === 'all' ? '' : 'WHERE status = ?'}
     ORDER BY status = 'open' DESC, class = 'certain' DESC, score DESC, id LIMIT ?`,
    status === 'all' ? [o.limit ?? 1_000_000] : [status, o.limit ?? 1_000_000],
  );
  return rows.map(fromRow);
}

export async function readCandidate(db: Queryable, id: number): Promise<StoredCandidate | null> {
  const rows = await queryRows<Row>(db, `SELECT ${COLUMNS} FROM atomsync_duplicate WHERE id = ?`, [id]);
  return rows.length ? fromRow(rows[0]) : null;
}

export async function countByStatus(db: Queryable): Promise<Record<string, number>> {
  const rows = await queryRows<{ status: string; class: string; n: number }>(db, 'SELECT status, class, COUNT(*) AS n FROM atomsync_duplicate GROUP BY status, class');
  return Object.fromEntries(rows.map((r) => [`${r.status} ${r.class}`, Number(r.n)]));
}

/**
 * "Not the same person": the pair is kept as rejected, so no later scan proposes it again.
 * Only an open pair can be rejected; returns false when it was not open (already reviewed).
 */
export async function rejectCandidate(db: Queryable, id: number): Promise<boolean> {
  const [res] = await db.query<ResultSetHeader>(
    "UPDATE atomsync_duplicate SET status = 'rejected', reviewed_at = CURRENT_TIMESTAMP(3), updated_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND status = 'open'",
    [id],
  );
  return res.affectedRows === 1;
}
