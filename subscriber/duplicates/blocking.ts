// Blocking: a pair is compared only when the two share a block key, so the work grows with the
// sizes of the blocks, not with the square of the population. The keys are chosen so that each
// kind of error the matcher forgives still leaves one key in common:
//   n:  Soundex of the given or of the family name + birth year (typos, swapped order, day/month swaps)
//   nn: the two names' Soundex codes, in either order, without a date (a wrong or estimated year)
//   k:  the nickname group of the given name + Soundex of the family name (Liz / Elizabeth)
//   i:  an identifier type and value (certain matches)
//   p:  a telephone number
// A block larger than maxBlockSize (a placeholder identifier "0", a very common name in one year)
// is skipped, and reported: its pairs would cost the square of its size.
import { nicknameKey, inNicknameTable } from './nicknames.ts';
import type { MatchRecord } from './record.ts';
import { soundex } from './strings.ts';

export interface BlockingOptions {
  /** Blocks with more records than this are skipped (reported). Default 1000. */
  maxBlockSize: number;
}

export const DEFAULT_MAX_BLOCK_SIZE = 1000;

export function blockKeys(r: MatchRecord): string[] {
  const keys = new Set<string>();
  const year = r.birthdate.slice(0, 4);
  for (const n of r.names.slice(0, 3)) {
    const g = n.given ? soundex(n.given) : '';
    const f = n.family ? soundex(n.family) : '';
    if (year) {
      if (g) keys.add(`n:${g}:${year}`);
      if (f) keys.add(`n:${f}:${year}`);
    }
    if (g && f) keys.add(`nn:${g < f ? `${g}:${f}` : `${f}:${g}`}`);
    if (f && inNicknameTable(n.given)) keys.add(`k:${nicknameKey(n.given)}:${f}`);
  }
  for (const i of r.identifiers) keys.add(`i:${i}`);
  for (const p of r.phones) keys.add(`p:${p}`);
  return [...keys];
}

export interface Oversized {
  /** The kind of key (n, nn, k, i, p): never the key itself, which holds a name or an identifier. */
  kind: string;
  size: number;
}

export interface Blocks {
  /** Record indexes per block, in block-id order. */
  members: number[][];
  /** Each record's block ids, ascending; oversized blocks left out. */
  recordBlocks: Int32Array[];
  oversized: Oversized[];
}

export function buildBlocks(records: readonly MatchRecord[], o: BlockingOptions): Blocks {
  const byKey = new Map<string, number[]>();
  records.forEach((r, i) => {
    for (const k of blockKeys(r)) {
      const list = byKey.get(k);
      if (list) list.push(i);
      else byKey.set(k, [i]);
    }
  });
  const members: number[][] = [];
  const perRecord: number[][] = records.map(() => []);
  const oversized: Oversized[] = [];
  for (const [key, list] of byKey) {
    if (list.length < 2) continue;
    if (list.length > o.maxBlockSize) {
      oversized.push({ kind: key.slice(0, key.indexOf(':')), size: list.length });
      continue;
    }
    const id = members.length;
    members.push(list);
    for (const i of list) perRecord[i].push(id);
  }
  return { members, recordBlocks: perRecord.map((l) => Int32Array.from(l)), oversized };
}

/** The first block two records share (both lists ascending), or -1. */
export function firstSharedBlock(a: Int32Array, b: Int32Array): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) return a[i];
    if (a[i] < b[j]) i++;
    else j++;
  }
  return -1;
}

/**
 * Every pair of records sharing at least one block, each once: a pair is taken in the first
 * block the two share and skipped in the others, so no set of seen pairs is kept. A callback,
 * not a generator: a scan visits millions of pairs.
 */
export function forEachCandidatePair(blocks: Blocks, visit: (i: number, j: number) => void): void {
  for (let b = 0; b < blocks.members.length; b++) {
    const m = blocks.members[b];
    for (let x = 0; x < m.length; x++) {
      for (let y = x + 1; y < m.length; y++) {
        if (firstSharedBlock(blocks.recordBlocks[m[x]], blocks.recordBlocks[m[y]]) === b) visit(m[x], m[y]);
      }
    }
  }
}
