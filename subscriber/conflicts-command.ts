// `atomsync conflicts list|show|resolve`: the conflicts a node recorded, for review. A conflict
// is a resource changed here and at another node since they last agreed; one version was kept by
// the rule every node applies (conflict-rule.ts) and the other is kept in atomsync_conflict.
// `show` puts the two side by side, field by field, the fields that differ marked. `resolve`
// settles one: keeping the version kept changes nothing; keeping the other writes it here as this
// node's own change, dated now, which the node publishes and which wins wherever it arrives.
import { UsageError, dbUrlArg, intArg } from '../shared/cli/args.ts';
import type { Args, Command, Io } from '../shared/cli/args.ts';
import type { Pool } from '../shared/db.ts';
import { openPool, queryRows } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { isResourceName } from '../shared/resources.ts';
import { MysqlSink } from './mysql/mysql-sink.ts';
import { explainDbError } from '../shared/start-errors.ts';

interface ConflictRow {
  id: number;
  resource: string;
  uuid: string;
  feed_url: string;
  winner: string;
  local_version: string;
  remote_version: string;
  detected_at: string | Date;
  resolved_at: string | Date | null;
  resolution: string | null;
}

/** Fields of a representation flattened to dotted paths (display labels and links left out). */
export function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (value === null || typeof value !== 'object') {
    out.set(prefix || '(value)', value === undefined ? '' : JSON.stringify(value));
    return out;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, '[]');
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
    return out;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'links' || k === 'display' || k === 'resourceVersion') continue;
    flatten(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

/** The two versions side by side: one line per field, `*` where they differ. */
export function sideBySide(kept: unknown, other: unknown): string[] {
  const a = flatten(kept);
  const b = flatten(other);
  const fields = [...new Set([...a.keys(), ...b.keys()])];
  const width = Math.min(48, Math.max(8, ...fields.map((f) => f.length)));
  const col = Math.min(40, Math.max(12, ...[...a.values()].map((v) => v.length)));
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
  const lines = [`  ${cut('field', width)}  ${cut('kept', col)}  other`];
  for (const f of fields) {
    const [x, y] = [a.get(f) ?? '(none)', b.get(f) ?? '(none)'];
    lines.push(`${x === y ? ' ' : '*'} ${cut(f, width)}  ${cut(x, col)}  ${y}`);
  }
  return lines;
}

const when = (d: string | Date) => (d instanceof Date ? d.toISOString() : String(d)).replace('T', ' ').replace(/\.\d+Z?$/, '');

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
      const rows = await queryRows<ConflictRow>(
        pool,
        `SELECT id, resource, uuid, feed_url, winner, local_version, remote_version, detected_at, resolved_at, resolution
         FROM atomsync_conflict ${verb === 'list' ? '' : 'WHERE id = ?'} ORDER BY id`,
        verb === 'list' ? [] : [Number(id)],
      );
      if (args.json) {
        for (const r of rows) io.out(JSON.stringify({ ...r, local_version: JSON.parse(r.local_version), remote_version: JSON.parse(r.remote_version) }));
        return verb === 'show' && rows.length === 0 ? 1 : 0;
      }
      if (verb === 'list') {
        if (rows.length === 0) io.out('no conflicts');
        else io.out(`${rows.length} conflict${rows.length === 1 ? '' : 's'}:`);
        for (const r of rows) {
          const remote = flatten(JSON.parse(r.remote_version));
          const changed = [...flatten(JSON.parse(r.local_version))].filter(([f, v]) => remote.get(f) !== v).length;
          const state = r.resolved_at ? `resolved ${when(r.resolved_at)}, ${r.resolution === 'other' ? 'the other version' : 'the version kept'} chosen` : 'to review';
          io.out(`#${r.id}  ${r.resource} ${r.uuid}  ${when(r.detected_at)}  kept ${r.winner === 'local' ? 'this node\'s' : 'the incoming'} version  (${changed} field${changed === 1 ? '' : 's'} differ)  ${state}`);
        }
        return 0;
      }
      const [r] = rows;
      if (!r) {
        io.err(`no conflict #${id}: see atomsync conflicts list`);
        return 1;
      }
      if (verb === 'resolve') return await resolve(pool, r, keep as 'kept' | 'other', intArg(args, 'audit-user-id', 1, 2_147_483_647), io);
      const local = JSON.parse(r.local_version);
      const remote = JSON.parse(r.remote_version);
      const [kept, other] = r.winner === 'local' ? [local, remote] : [remote, local];
      io.out(`#${r.id}  ${r.resource} ${r.uuid}, detected ${when(r.detected_at)} reading ${r.feed_url}`);
      io.out(`kept: ${r.winner === 'local' ? "this node's version" : 'the incoming version'}; the other is below`);
      for (const line of sideBySide(kept, other)) io.out(line);
      return 0;
    } catch (err) {
      throw explainDbError(err, url);
    } finally {
      await pool.end();
    }
  },
};

/** Settles a conflict: the version kept stays, or the other is written here as this node's newest change. */
async function resolve(pool: Pool, r: ConflictRow, keep: 'kept' | 'other', userId: number, io: Io): Promise<number> {
  if (r.resolved_at) {
    io.out(`#${r.id} was resolved already (${when(r.resolved_at)}, ${r.resolution}); nothing done`);
    return 0;
  }
  if (keep === 'other') {
    if (!isResourceName(r.resource)) throw new Error(`#${r.id} names ${r.resource}, which this version of atomsync does not know`);
    const other = JSON.parse(r.winner === 'local' ? r.remote_version : r.local_version) as Record<string, unknown>;
    const sink = await MysqlSink.create(pool, silentLogger, { fallbackUserId: userId });
    await sink.writeLocalChange(r.resource, r.uuid, other, userId);
  }
  await pool.query('UPDATE atomsync_conflict SET resolved_at = UTC_TIMESTAMP(3), resolution = ? WHERE id = ? AND resolved_at IS NULL', [keep, r.id]);
  io.out(
    keep === 'other'
      ? `#${r.id} resolved: the other version is now this node's, as a change of its own; it is published and wins wherever it arrives`
      : `#${r.id} resolved: the version kept stays (every node kept it already)`,
  );
  return 0;
}
