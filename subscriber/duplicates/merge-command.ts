// `atomsync duplicates merge`: the verb's argument handling and report. Either both patients by
// uuid (--keep and --drop: allowed whether or not a scan paired them; their pair, if any, is
// marked merged), or a pair by id with the patient kept (--keep; the other one is dropped).
// Prints what moved as counts and uuids of the two patients only: no name or identifier.
import { UsageError, intArg } from '../../shared/cli/args.ts';
import type { Args, Io } from '../../shared/cli/args.ts';
import type { Pool } from '../../shared/db.ts';
import { MergeRefused, mergePatients } from './merge.ts';
import type { MergeOptions, MergeResult } from './merge.ts';
import { readCandidate } from './store.ts';

const UUID = /^[0-9a-fA-F-]{36}$/;

/** Checks the flags before the database is opened: a usage error is exit 2, as for every command. */
export function mergeArgs(args: Args, id: string | undefined): { keep: string; drop?: string; pairId?: number; userId: number } {
  const keep = args.keep as string | undefined;
  const drop = args.drop as string | undefined;
  if (!keep) throw new UsageError('say which patient is kept: atomsync duplicates merge --keep <uuid> --drop <uuid>, or merge <pair id> --keep <uuid>');
  if (id !== undefined && !/^[0-9]+$/.test(id)) throw new UsageError(`a pair id is a number from \`atomsync duplicates list\` (got "${id}")`);
  if (id === undefined && !drop) throw new UsageError('say which patient is dropped (--drop <uuid>), or name the pair: merge <pair id> --keep <uuid>');
  for (const [flag, v] of [['keep', keep], ['drop', drop]] as const) if (v !== undefined && !UUID.test(v)) throw new UsageError(`--${flag} must be a patient's uuid (got "${v}")`);
  return { keep, drop, pairId: id === undefined ? undefined : Number(id), userId: intArg(args, 'audit-user-id', 1, 2_147_483_647) };
}

export async function runMerge(pool: Pool, a: ReturnType<typeof mergeArgs>, io: Io): Promise<number> {
  let drop = a.drop;
  if (a.pairId !== undefined && drop === undefined) {
    const pair = await readCandidate(pool, a.pairId);
    if (!pair) {
      io.err(`no duplicate pair #${a.pairId}: see atomsync duplicates list`);
      return 1;
    }
    const lower = a.keep.toLowerCase();
    if (lower !== pair.patientA.toLowerCase() && lower !== pair.patientB.toLowerCase()) {
      io.err(`--keep ${a.keep} is not one of pair #${a.pairId}'s two patients (${pair.patientA}, ${pair.patientB})`);
      return 1;
    }
    drop = lower === pair.patientA.toLowerCase() ? pair.patientB : pair.patientA;
  }
  const o: MergeOptions = { keep: a.keep, drop: drop!, userId: a.userId, pairId: a.pairId };
  try {
    for (const line of report(await mergePatients(pool, o))) io.out(line);
    return 0;
  } catch (err) {
    if (!(err instanceof MergeRefused)) throw err;
    io.err(`not merged: ${err.message}`);
    return 1;
  }
}

/** What moved, in counts. */
export function report(r: MergeResult): string[] {
  const n = (xs: unknown[] | number, what: string) => `${typeof xs === 'number' ? xs : xs.length} ${what}`;
  return [
    `merged patient ${r.drop} into ${r.keep}${r.pairId !== null ? ` (pair #${r.pairId} marked merged)` : ''}`,
    `moved: ${[n(r.visits, 'visits'), n(r.encounters, 'encounters'), n(r.orders, 'orders'), n(r.diagnoses, 'diagnoses'), n(r.programs, 'program enrolments'), n(r.conditions, 'conditions'), n(r.allergies, 'allergies')].join(', ')}` +
      (r.allergiesSkipped ? ` (${r.allergiesSkipped} allergies kept with the dropped patient: the kept one records the same allergen)` : ''),
    `observations: ${r.encounterObs} in the moved encounters and ${r.independentObs.length} outside any encounter given new versions on the kept patient (the old ones voided), ${r.voidedObs} voided ones moved`,
    `copied to the kept patient (not preferred): ${[n(r.createdNames, 'names'), n(r.createdIdentifiers, 'identifiers'), n(r.createdAddresses, 'addresses'), n(r.createdAttributes, 'attributes'), n(r.createdRelationships, 'relationships')].join(', ')}; ${n(r.voidedRelationships, 'relationships')} of the dropped patient voided`,
    `voided: the dropped patient and ${r.voidedRows - 2} of its rows (identifiers, names, addresses, attributes), reason "Merged with ${r.keep}"`,
    r.logUuid ? `person_merge_log ${r.logUuid}` : 'no person_merge_log table in this database: the merge is not logged there',
    'every change is published as an ordinary change: nodes subscribed here converge on the merged record',
  ];
}
