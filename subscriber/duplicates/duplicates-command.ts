// `atomsync duplicates list|show|reject|scan|merge`: finding the same person registered twice,
// reviewing the pairs found, and merging them. `scan` records candidate pairs (certain: the same
// value of the same identifier type; probable: a Fellegi-Sunter score at or above --probable-at);
// `list` prints one pair a line; `show` puts the two records side by side; `reject` marks a pair
// "not the same person", never proposed again; `merge` merges two patients as OpenMRS's
// mergePatients does (merge.ts, merge-command.ts) and marks their pair merged.
import { readFileSync } from 'node:fs';
import { UsageError, asUsage, dbUrlArg, intArg } from '../../shared/cli/args.ts';
import type { Args, Command, Io } from '../../shared/cli/args.ts';
import type { Pool } from '../../shared/db.ts';
import { openPool } from '../../shared/db.ts';
import { explainDbError } from '../../shared/start-errors.ts';
import { DEFAULT_MAX_BLOCK_SIZE } from './blocking.ts';
import { mergeArgs, runMerge } from './merge-command.ts';
import { activePatients, readPatientDetails } from './patient-details.ts';
import { DEFAULT_MAX_IDENTIFIER_SHARE } from './placeholders.ts';
import { listLine, sideBySide } from './review-format.ts';
import { scanDuplicates } from './scan.ts';
import { ensureDuplicateTable, listCandidates, readCandidate, rejectCandidate } from './store.ts';
import type { DuplicateStatus } from './store.ts';
import { mergeMu } from './weights.ts';

const VERBS = ['list', 'show', 'reject', 'scan', 'merge'] as const;

export const duplicatesCommand: Command = {
  name: 'duplicates',
  summary: 'find patients registered twice (scan), list the pairs found, show one side by side, reject one, or merge two patients',
  usage: 'atomsync duplicates scan --db URL     atomsync duplicates list --db URL     atomsync duplicates show <id> --db URL     atomsync duplicates reject <id> --db URL     atomsync duplicates merge --keep <uuid> --drop <uuid> --db URL     atomsync duplicates merge <id> --keep <uuid> --db URL',
  positionals: true,
  options: [
    { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: "the node's database (ours or a real OpenMRS one)" },
    { name: 'status', type: 'string', env: 'ATOMSYNC_DUPLICATES_STATUS', default: 'open', choices: ['open', 'rejected', 'merged', 'all'], arg: 'STATUS', help: 'with list: which pairs' },
    { name: 'json', type: 'boolean', env: 'ATOMSYNC_DUPLICATES_JSON', help: 'with list and show: JSON, one object a line' },
    { name: 'probable-at', type: 'string', env: 'ATOMSYNC_DUPLICATES_PROBABLE_AT', default: 'auto', arg: 'SCORE', help: 'with scan: the score from which a pair is probable; auto: log2 of the patients scanned, at least 12' },
    { name: 'weights', type: 'string', env: 'ATOMSYNC_DUPLICATES_WEIGHTS', arg: 'FILE', help: 'with scan: JSON {field: {level: [m, u]}} over the default weights' },
    { name: 'estimate', type: 'boolean', env: 'ATOMSYNC_DUPLICATES_ESTIMATE', help: 'with scan: estimate u by EM over the blocked pairs (m held) and use it; prints the estimate as a --weights file' },
    { name: 'max-identifier-share', type: 'string', env: 'ATOMSYNC_DUPLICATES_MAX_IDENTIFIER_SHARE', default: String(DEFAULT_MAX_IDENTIFIER_SHARE), arg: 'N', help: 'with scan: an identifier value held by more patients is a placeholder ("0", "N/A"), never a certain match' },
    { name: 'keep', type: 'string', env: 'ATOMSYNC_DUPLICATES_KEEP', arg: 'UUID', help: "with merge: the patient kept (OpenMRS's preferred), by person uuid" },
    { name: 'drop', type: 'string', env: 'ATOMSYNC_DUPLICATES_DROP', arg: 'UUID', help: 'with merge: the patient merged into the kept one and voided; or give the pair: merge <id> --keep <uuid>' },
    { name: 'audit-user-id', type: 'string', env: 'ATOMSYNC_AUDIT_USER_ID', default: '1', arg: 'N', help: "with merge: the local users.user_id recorded as the merge's creator, changer and voider" },
    { name: 'max-block', type: 'string', env: 'ATOMSYNC_DUPLICATES_MAX_BLOCK', default: String(DEFAULT_MAX_BLOCK_SIZE), arg: 'N', help: 'with scan: blocks of more patients are skipped (and reported)' },
  ],
  notes:
    'certain: the same value of the same identifier type on two patients. probable: the sum of per-field weights\n' +
    'log2(m/u) (names, birth date, gender, city, address1, phone) at or above --probable-at (default: log2 of the number\n' +
    'of patients, at least 12: coincidences grow with the register). A rejected pair is never\n' +
    'proposed again. merge (as OpenMRS mergePatients, in one transaction): the visits, encounters,\n' +
    'orders, programs, conditions, allergies and observations (as new versions) of the dropped patient move to the kept one;\n' +
    'names, identifiers and addresses it lacks are copied (not preferred), the dropped one is voided "Merged with <kept uuid>", a\n' +
    'person_merge_log row is written; all published as ordinary changes. Two patients no scan paired may be merged;\n' +
    'a pair rejected as not the same person may not. Only merge changes patients.',
  async run(args: Args, io) {
    const [verb, id] = args._ as string[];
    if (!VERBS.includes(verb as (typeof VERBS)[number])) throw new UsageError(`expected ${VERBS.map((v) => `"${v}"`).join(', ')} (got ${verb ? `"${verb}"` : 'nothing'})`);
    if ((verb === 'show' || verb === 'reject') && !/^[0-9]+$/.test(id ?? '')) throw new UsageError(`say which: atomsync duplicates ${verb} <id>, an id from \`atomsync duplicates list\``);
    const url = dbUrlArg(args);
    const scanSettings = verb === 'scan' ? scanOptions(args) : null;
    const merge = verb === 'merge' ? mergeArgs(args, id) : null;
    const pool = openPool(url, { connectionLimit: 2 });
    try {
      if (scanSettings) return await scan(pool, scanSettings, io);
      await ensureDuplicateTable(pool);
      if (verb === 'list') return await list(pool, args.status as DuplicateStatus | 'all', Boolean(args.json), io);
      if (verb === 'show') return await show(pool, Number(id), Boolean(args.json), io);
      if (merge) return await runMerge(pool, merge, io);
      return await reject(pool, Number(id), io);
    } catch (err) {
      throw explainDbError(err, url);
    } finally {
      await pool.end();
    }
  },
};

function scanOptions(args: Args): { probableAt: number | 'auto'; mu: ReturnType<typeof mergeMu>; maxBlockSize: number; maxIdentifierShare: number; estimate: boolean } {
  const probableAt = args['probable-at'] === 'auto' ? 'auto' : Number(args['probable-at']);
  if (probableAt !== 'auto' && !Number.isFinite(probableAt)) throw new UsageError(`--probable-at must be a number (got "${String(args['probable-at'])}")`);
  const file = args.weights as string | undefined;
  const mu = asUsage(() => mergeMu(file ? JSON.parse(readFileSync(file, 'utf8')) : undefined), '--weights');
  return { probableAt, mu, maxBlockSize: intArg(args, 'max-block', 2, 1_000_000), maxIdentifierShare: intArg(args, 'max-identifier-share', 2, 1_000_000), estimate: Boolean(args.estimate) };
}

async function scan(pool: Pool, o: ReturnType<typeof scanOptions>, io: Io): Promise<number> {
  const r = await scanDuplicates(pool, { ...o, progress: (l) => io.err(`duplicates scan: ${l}`) });
  io.out(
    `${r.patients} patients, ${r.pairsCompared} pairs compared in ${r.blocks} blocks: ${r.certain} certain, ${r.probable} probable (score >= ${r.probableAt}) ` +
      `(${r.newPairs} new) in ${(r.ms.total / 1000).toFixed(1)} s (read ${(r.ms.read / 1000).toFixed(1)} s, compare ${(r.ms.compare / 1000).toFixed(1)} s, write ${(r.ms.write / 1000).toFixed(1)} s)`,
  );
  if (r.estimate) {
    io.out(`estimated by EM: ${(r.estimate.matchShare * 100).toFixed(3)}% of the compared pairs are one person (${r.estimate.iterations} iterations, ${r.estimate.patterns} patterns); weights used, as a --weights file:`);
    io.out(JSON.stringify(r.estimate.mu));
  }
  if (r.placeholders > 0) io.out(`${r.placeholders} identifier value(s) held by more than ${o.maxIdentifierShare} patients each were ignored as placeholders`);
  if (r.oversized.length > 0) io.out(`${r.oversized.length} block(s) over --max-block skipped: their pairs were not compared (largest ${Math.max(...r.oversized.map((b) => b.size))} patients)`);
  return 0;
}

async function list(pool: Pool, status: DuplicateStatus | 'all', json: boolean, io: Io): Promise<number> {
  const all = await listCandidates(pool, { status });
  if (json) {
    for (const c of all) io.out(JSON.stringify(c));
    return 0;
  }
  io.out(all.length === 0 ? `no ${status === 'all' ? '' : `${status} `}duplicate pairs` : `${all.length} pair${all.length === 1 ? '' : 's'} (id, patient A, patient B, class, score):`);
  const active = await activePatients(pool, [...new Set(all.flatMap((c) => [c.patientA, c.patientB]))]);
  for (const c of all) io.out(listLine(c, active));
  return 0;
}

async function show(pool: Pool, id: number, json: boolean, io: Io): Promise<number> {
  const c = await readCandidate(pool, id);
  if (!c) {
    io.err(`no duplicate pair #${id}: see atomsync duplicates list`);
    return 1;
  }
  const [a, b] = [await readPatientDetails(pool, c.patientA), await readPatientDetails(pool, c.patientB)];
  if (json) io.out(JSON.stringify({ ...c, a, b }));
  else for (const line of sideBySide(c, a, b)) io.out(line);
  return 0;
}

async function reject(pool: Pool, id: number, io: Io): Promise<number> {
  const c = await readCandidate(pool, id);
  if (!c) {
    io.err(`no duplicate pair #${id}: see atomsync duplicates list`);
    return 1;
  }
  if (await rejectCandidate(pool, id)) {
    io.out(`#${id} rejected: not the same person; no scan will propose this pair again`);
    return 0;
  }
  io.out(`#${id} was ${c.status} already${c.reviewedAt ? ` (${c.reviewedAt})` : ''}; nothing done`);
  return 0;
}
