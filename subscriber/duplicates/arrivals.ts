// Detection when patients arrive or change (issue 20): the arriving patients are compared with the
// patients the database finds by an index, not with everyone: those holding one of their
// identifier values, or one of their given or family names (either role, so swapped names meet;
// the collation ignores case and accents; nickname forms from the table included). Found pairs go
// to atomsync_duplicate like a scan's. Narrower than a scan's blocks (a typo in both names, or a
// pair shared only through a phone number, waits for the next scan), and cheap: a few indexed
// queries per batch.
import { queryRows } from '../../shared/db.ts';
import type { Queryable } from '../../shared/db.ts';
import { classify, reasonsOf } from './classify.ts';
import { comparePair } from './compare.ts';
import { nicknameGroup } from './nicknames.ts';
import { readPatientsWhere } from './read-patients.ts';
import { DEFAULT_MAX_IDENTIFIER_SHARE, dropPlaceholders } from './placeholders.ts';
import { identifierKey, toMatchRecord } from './record.ts';
import type { MatchRecord, RawPerson } from './record.ts';
import { resolveProbableAt } from './scan.ts';
import { ensureDuplicateTable, orderPair, upsertCandidates } from './store.ts';
import type { Candidate } from './store.ts';
import { DEFAULT_MU, weightTable } from './weights.ts';
import type { MuTable } from './weights.ts';
import { normaliseName } from './strings.ts';

export interface ArrivalOptions {
  probableAt?: number | 'auto';
  mu?: MuTable;
  /** An identifier value held by more patients than this is a placeholder, ignored. Default 5. */
  maxIdentifierShare?: number;
  /** At most this many patients read as possible matches per call (a very common name). Default 5000. */
  maxCandidates?: number;
}

export interface ArrivalReport {
  arrivals: number;
  compared: number;
  certain: number;
  probable: number;
  newPairs: number;
}

export const DEFAULT_MAX_ARRIVAL_CANDIDATES = 5000;

/** The names to look up: as stored, and each nickname form of the given names. */
function lookupNames(people: RawPerson[]): string[] {
  const out = new Set<string>();
  for (const p of people) {
    for (const n of p.names) {
      for (const v of [n.given, n.family]) if (v && v.trim()) out.add(v.trim());
      for (const form of nicknameGroup(normaliseName(n.given))) if (form) out.add(form);
    }
  }
  return [...out];
}

/** How many patients hold each of these people's identifier values (placeholders.ts). */
async function identifierShares(db: Queryable, people: RawPerson[]): Promise<Map<string, number>> {
  const values = [...new Set(people.flatMap((p) => p.identifiers.map((i) => i.value.trim())).filter(Boolean))];
  if (values.length === 0) return new Map();
  const rows = await queryRows<{ t: number; v: string; n: number }>(
    db,
    'SELECT identifier_type AS t, identifier AS v, COUNT(DISTINCT patient_id) AS n FROM patient_identifier WHERE identifier IN (?) GROUP BY identifier_type, identifier',
    [values],
  );
  const out = new Map<string, number>();
  for (const r of rows) out.set(identifierKey(Number(r.t), r.v), (out.get(identifierKey(Number(r.t), r.v)) ?? 0) + Number(r.n));
  return out;
}

async function possibleMatchIds(db: Queryable, people: RawPerson[], shares: Map<string, number>, o: ArrivalOptions): Promise<number[]> {
  const limit = o.maxCandidates ?? DEFAULT_MAX_ARRIVAL_CANDIDATES;
  const max = o.maxIdentifierShare ?? DEFAULT_MAX_IDENTIFIER_SHARE;
  const ids = new Set<number>();
  const values = [...new Set(people.flatMap((p) => p.identifiers.filter((i) => (shares.get(identifierKey(i.type, i.value)) ?? 0) <= max).map((i) => i.value.trim())).filter(Boolean))];
  if (values.length > 0) {
    const rows = await queryRows<{ id: number }>(db, 'SELECT DISTINCT patient_id AS id FROM patient_identifier WHERE identifier IN (?) LIMIT ?', [values, limit]);
    for (const r of rows) ids.add(Number(r.id));
  }
  const names = lookupNames(people);
  if (names.length > 0) {
    const rows = await queryRows<{ id: number }>(
      db,
      'SELECT DISTINCT person_id AS id FROM person_name WHERE given_name IN (?) OR family_name IN (?) LIMIT ?',
      [names, names, limit],
    );
    for (const r of rows) ids.add(Number(r.id));
  }
  return [...ids];
}

async function patientCount(db: Queryable): Promise<number> {
  const [r] = await queryRows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM patient');
  return Number(r.n);
}

/** Compares each arrival with every possible match (and the other arrivals), each pair once. */
function compareArrivals(arrivals: MatchRecord[], others: MatchRecord[], o: ArrivalOptions, probableAt: number): { candidates: Candidate[]; compared: number } {
  const weights = weightTable(o.mu ?? DEFAULT_MU);
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  for (const a of arrivals) {
    for (const b of others) {
      if (a.id === b.id) continue;
      const key = orderPair(a.uuid, b.uuid).join(' ');
      if (seen.has(key)) continue;
      seen.add(key);
      const c = comparePair(a, b, weights);
      const cls = classify(c, { probableAt });
      if (cls) candidates.push({ patientA: a.uuid, patientB: b.uuid, class: cls, score: c.score, reasons: reasonsOf(c) });
    }
  }
  return { candidates, compared: seen.size };
}

export async function detectArrivals(db: Queryable, uuids: readonly string[], o: ArrivalOptions = {}): Promise<ArrivalReport> {
  const raw = await readPatientsWhere(db, { uuids: [...new Set(uuids)] });
  if (raw.length === 0) return { arrivals: 0, compared: 0, certain: 0, probable: 0, newPairs: 0 };
  const shares = await identifierShares(db, raw);
  const ids = await possibleMatchIds(db, raw, shares, o);
  const arrivals = raw.map(toMatchRecord);
  const others = (await readPatientsWhere(db, { ids })).map(toMatchRecord);
  const max = o.maxIdentifierShare ?? DEFAULT_MAX_IDENTIFIER_SHARE;
  dropPlaceholders(arrivals, shares, max);
  dropPlaceholders(others, shares, max);
  const probableAt = resolveProbableAt(o.probableAt, await patientCount(db));
  const { candidates, compared } = compareArrivals(arrivals, others, o, probableAt);
  await ensureDuplicateTable(db);
  const newPairs = await upsertCandidates(db, candidates);
  return {
    arrivals: raw.length, compared, newPairs,
    certain: candidates.filter((c) => c.class === 'certain').length,
    probable: candidates.filter((c) => c.class === 'probable').length,
  };
}
