// `atomsync conflicts list|show|resolve`: the conflicts a node recorded, for review. A conflict
// is a resource changed here and at another node since they last agreed; one version was kept by
// the rule every node applies (conflict-rule.ts) and the other is kept in atomsync_conflict.
// `show` puts the two side by side, field by field, the fields that differ marked. `resolve`
// settles one: keeping the version kept changes nothing; keeping the other writes it here as this
// node's own change, dated now, which the node publishes and which wins wherever it arrives.
import { UsageError, dbUrlArg, intArg } from '../shared/cli/args.ts';
import type { Args, Command, Io } from '../shared/cli/args.ts';
import type { Pool } from '../shared/db.ts';
import { openPool } from '../shared/db.ts';
import { explainDbError } from '../shared/start-errors.ts';
import { compareVersions, differingFields } from './conflicts-compare.ts';
import { listConflicts, readConflict, resolveConflict } from './conflicts-store.ts';
import type { Conflict, Keep } from './conflicts-store.ts';

/** The two versions side by side: one line per field, `*` where they differ. */
export function sideBySide(kept: unknown, other: unknown): string[] {
  const pairs = compareVersions(kept, other);
  const width = Math.min(48, Math.max(8, ...pairs.map((p) => p.field.length)));
  const col = Math.min(40, Math.max(12, ...pairs.map((p) => (p.kept ?? '').length)));
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
  const lines = [`  ${cut('field', width)}  ${cut('kept', col)}  other`];
  for (const p of pairs) lines.push(`${p.differs ? '*' : ' '} ${cut(p.field, width)}  ${cut(p.kept ?? '(none)', col)}  ${p.other ?? '(none)'}`);
  return lines;
}

/** ISO 8601 as the CLI prints times: '2026-01-02 03:04:05' (UTC). */
const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z?$|Z$/, '');

export const conflictsCommand: Command = {
  name: 'conflicts',
  summary: 'list the conflicts this node recorded, show one with both versions side by side, or settle one',
  usage: 'atomsync conflicts list --db URL     atomsync conflicts show <id> --db URL     atomsync conflicts resolve <id> --keep kept|other --db URL',
  positionals: true,
  options: [
    { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: "the node's database" },
    { name: 'json', type: 'boolean', env: 'ATOMSYNC_CONFLICTS_JSON', help: 'one JSON object per conflict (with both versions)' },
    { name: 'keep', type: 'string', env: 'ATOMSYNC_CONFLICTS_KEEP', arg: 'kept|other', help: 'with resolve: the version kept by the rule, or the other one' },
    { name: 'audit-user-id', type: 'string', env: 'ATOMSYNC_AUDIT_USER_ID', default: '1', arg: 'N', help: 'with resolve: the local users.user_id recorded as the changer' },
  ],
  notes:
    'A conflict is a resource changed here and at another node since they last agreed. Every node keeps the same\n' +
    'version (the newer audit date; at the same date, the greater content hash) and records the other here.',
  async run(args: Args, io) {
    const [verb, id] = args._ as string[];
    if (verb !== 'list' && verb !== 'show' && verb !== 'resolve') throw new UsageError(`expected "list", "show" or "resolve" (got ${verb ? `"${verb}"` : 'nothing'})`);
    if (verb !== 'list' && !/^[0-9]+$/.test(id ?? '')) throw new UsageError(`say which: atomsync conflicts ${verb} <id>, an id from \`atomsync conflicts list\``);
    const keep = args.keep as string | undefined;
    if (verb === 'resolve' && keep !== 'kept' && keep !== 'other') throw new UsageError('say which version to keep: --keep kept (the one kept now) or --keep other');
    if (verb !== 'resolve' && keep !== undefined) throw new UsageError('--keep goes with resolve');
    const url = dbUrlArg(args);
    const pool = openPool(url, { connectionLimit: 2 });
    try {
      if (verb === 'list') return list(await listConflicts(pool, { order: 'oldest-first' }), Boolean(args.json), io);
      const c = await readConflict(pool, Number(id));
      if (!c) {
        if (args.json) return 1;
        io.err(`no conflict #${id}: see atomsync conflicts list`);
        return 1;
      }
      if (verb === 'resolve') return await resolve(pool, c, keep as Keep, intArg(args, 'audit-user-id', 1, 2_147_483_647), io);
      if (args.json) {
        io.out(JSON.stringify(asJson(c)));
        return 0;
      }
      io.out(`#${c.id}  ${c.resource} ${c.uuid}, detected ${when(c.detectedAt)} reading ${c.feedUrl}`);
      io.out(`kept: ${c.winner === 'local' ? "this node's version" : 'the incoming version'}; the other is below`);
      for (const line of sideBySide(c.kept, c.other)) io.out(line);
      return 0;
    } catch (err) {
      throw explainDbError(err, url);
    } finally {
      await pool.end();
    }
  },
};

/** The row as `--json` has always printed it: the table's columns, both versions parsed. */
function asJson(c: Conflict): object {
  const [local, remote] = c.winner === 'local' ? [c.kept, c.other] : [c.other, c.kept];
  return {
    id: c.id, resource: c.resource, uuid: c.uuid, feed_url: c.feedUrl, winner: c.winner, local_version: local, remote_version: remote,
    detected_at: c.detectedAt, resolved_at: c.resolvedAt, resolution: c.resolution,
  };
}

function list(conflicts: Conflict[], json: boolean, io: Io): number {
  if (json) {
    for (const c of conflicts) io.out(JSON.stringify(asJson(c)));
    return 0;
  }
  io.out(conflicts.length === 0 ? 'no conflicts' : `${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}:`);
  for (const c of conflicts) {
    const changed = differingFields(c);
    const state = c.resolvedAt ? `resolved ${when(c.resolvedAt)}, ${c.resolution === 'other' ? 'the other version' : 'the version kept'} chosen` : 'to review';
    io.out(`#${c.id}  ${c.resource} ${c.uuid}  ${when(c.detectedAt)}  kept ${c.winner === 'local' ? 'this node\'s' : 'the incoming'} version  (${changed} field${changed === 1 ? '' : 's'} differ)  ${state}`);
  }
  return 0;
}

/** Settles a conflict: the version kept stays, or the other is written here as this node's newest change (conflicts-store.ts). */
async function resolve(pool: Pool, c: Conflict, keep: Keep, userId: number, io: Io): Promise<number> {
  if ((await resolveConflict(pool, c, keep, userId)) === 'already') {
    const now = await readConflict(pool, c.id);
    io.out(`#${c.id} was resolved already (${when(now?.resolvedAt ?? c.resolvedAt ?? '')}, ${now?.resolution ?? c.resolution}); nothing done`);
    return 0;
  }
  io.out(
    keep === 'other'
      ? `#${c.id} resolved: the other version is now this node's, as a change of its own; it is published and wins wherever it arrives`
      : `#${c.id} resolved: the version kept stays (every node kept it already)`,
  );
  return 0;
}
