// `atomsync duplicates scan`: reads every patient, blocks, compares the pairs that share a block,
// and records the certain and probable ones in atomsync_duplicate. Progress lines carry counts
// only, never a name or an identifier. Running it again is harmless (store.ts upsertCandidates).
import type { Queryable } from '../../shared/db.ts';
import { DEFAULT_MAX_BLOCK_SIZE, buildBlocks, forEachCandidatePair } from './blocking.ts';
import type { Oversized } from './blocking.ts';
import { classify, reasonsOf } from './classify.ts';
import { comparePair } from './compare.ts';
import { countPatterns, estimateMu, estimatedThreshold } from './em.ts';
import type { Estimate } from './em.ts';
import { DEFAULT_MAX_IDENTIFIER_SHARE, dropPlaceholders, identifierCounts } from './placeholders.ts';
import { DEFAULT_PAGE_SIZE, readPatients } from './read-patients.ts';
import { toMatchRecord } from './record.ts';
import type { MatchRecord } from './record.ts';
import { ensureDuplicateTable, upsertCandidates } from './store.ts';
import type { Candidate } from './store.ts';
import { DEFAULT_MU, autoProbableAt, weightTable } from './weights.ts';
import type { MuTable } from './weights.ts';

export interface ScanOptions {
  /** Score at or above which a pair is probable. Default 'auto': autoProbableAt(patients). */
  probableAt?: number | 'auto';
  /** m/u probabilities per field and level. Default DEFAULT_MU. */
  mu?: MuTable;
  /** Blocks larger than this are skipped and reported. Default 1000. */
  maxBlockSize?: number;
  /** An identifier value held by more patients than this is a placeholder, ignored. Default 5. */
  maxIdentifierShare?: number;
  /** Patients read per query. Default 5000. */
  pageSize?: number;
  /** A progress line (counts only). */
  progress?: (line: string) => void;
  /**
   * Estimate m and u by EM over the blocked pairs (em.ts) and use them, with the threshold where
   * a pair's posterior passes one half (unless probableAt is a number). Default false: the
   * documented defaults.
   */
  estimate?: boolean;
  /** Compare and report, write nothing. */
  dryRun?: boolean;
  now?: () => number;
}

export interface ScanReport {
  patients: number;
  /** The threshold used for probable. */
  probableAt: number;
  /** With `estimate`: the m/u EM found, used for this scan. */
  estimate?: Estimate;
  blocks: number;
  oversized: Oversized[];
  /** Identifier values ignored as placeholders (held by more than maxIdentifierShare patients). */
  placeholders: number;
  pairsCompared: number;
  certain: number;
  probable: number;
  /** Pairs not in atomsync_duplicate before this scan. */
  newPairs: number;
  ms: { read: number; compare: number; write: number; total: number };
}

const PROGRESS_EVERY_PAIRS = 2_000_000;

export async function readMatchRecords(db: Queryable, pageSize: number, progress: (l: string) => void): Promise<MatchRecord[]> {
  const records: MatchRecord[] = [];
  for await (const page of readPatients(db, pageSize)) {
    for (const p of page) records.push(toMatchRecord(p));
    progress(`read ${records.length} patients`);
  }
  return records;
}

export function resolveProbableAt(p: number | 'auto' | undefined, patients: number): number {
  return p === undefined || p === 'auto' ? autoProbableAt(patients) : p;
}

/** Compares every blocked pair; returns the candidates found and how many pairs were compared. */
export interface Found {
  candidates: Candidate[];
  compared: number;
  blocks: number;
  oversized: Oversized[];
  placeholders: number;
  probableAt: number;
  estimate?: Estimate;
}

export function findCandidates(records: MatchRecord[], o: ScanOptions): Found {
  const progress = o.progress ?? (() => undefined);
  const placeholders = dropPlaceholders(records, identifierCounts(records), o.maxIdentifierShare ?? DEFAULT_MAX_IDENTIFIER_SHARE);
  const blocks = buildBlocks(records, { maxBlockSize: o.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE });
  let mu = o.mu ?? DEFAULT_MU;
  const settings = { probableAt: resolveProbableAt(o.probableAt, records.length) };
  let estimate: Estimate | undefined;
  if (o.estimate) {
    progress('estimating m and u by EM over the blocked pairs');
    estimate = estimateMu(countPatterns(records, blocks, weightTable(mu)), mu);
    mu = estimate.mu;
    // With estimated weights the threshold follows from the estimated share of matches.
    if (o.probableAt === undefined || o.probableAt === 'auto') settings.probableAt = estimatedThreshold(estimate.matchShare);
  }
  const weights = weightTable(mu);
  const candidates: Candidate[] = [];
  let compared = 0;
  forEachCandidatePair(blocks, (i, j) => {
    compared++;
    if (compared % PROGRESS_EVERY_PAIRS === 0) progress(`compared ${compared} pairs, ${candidates.length} candidates so far`);
    const a = records[i];
    const b = records[j];
    const c = comparePair(a, b, weights);
    const cls = classify(c, settings);
    if (cls) candidates.push({ patientA: a.uuid, patientB: b.uuid, class: cls, score: c.score, reasons: reasonsOf(c) });
  });
  return { candidates, compared, blocks: blocks.members.length, oversized: blocks.oversized, placeholders, probableAt: settings.probableAt, estimate };
}

export async function scanDuplicates(db: Queryable, o: ScanOptions = {}): Promise<ScanReport> {
  const now = o.now ?? Date.now;
  const progress = o.progress ?? (() => undefined);
  const t0 = now();
  if (!o.dryRun) await ensureDuplicateTable(db);
  const records = await readMatchRecords(db, o.pageSize ?? DEFAULT_PAGE_SIZE, progress);
  const t1 = now();
  progress(`blocking ${records.length} patients`);
  const found = findCandidates(records, o);
  const t2 = now();
  if (found.placeholders > 0) progress(`ignored ${found.placeholders} identifier values held by more than ${o.maxIdentifierShare ?? DEFAULT_MAX_IDENTIFIER_SHARE} patients each (placeholders)`);
  for (const big of found.oversized) progress(`skipped a block of ${big.size} patients (key kind ${big.kind}): over --max-block`);
  progress(`compared ${found.compared} pairs in ${found.blocks} blocks: ${found.candidates.length} candidates`);
  const newPairs = o.dryRun ? 0 : await upsertCandidates(db, found.candidates);
  const t3 = now();
  return {
    patients: records.length,
    probableAt: found.probableAt,
    estimate: found.estimate,
    blocks: found.blocks,
    oversized: found.oversized,
    placeholders: found.placeholders,
    pairsCompared: found.compared,
    certain: found.candidates.filter((c) => c.class === 'certain').length,
    probable: found.candidates.filter((c) => c.class === 'probable').length,
    newPairs,
    ms: { read: t1 - t0, compare: t2 - t1, write: t3 - t2, total: t3 - t0 },
  };
}
