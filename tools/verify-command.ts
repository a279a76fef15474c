// `atomsync verify`: does the target hold every synced row of the sources (verify.ts), or with
// --catchment exactly their part that concerns these locations (verify-catchment.ts)?
import { intArg, UsageError } from '../shared/cli/args.ts';
import type { Args, Command } from '../shared/cli/args.ts';
import { MAX_CATCHMENT_LOCATIONS, UUID_PATTERN } from '../shared/protocol.ts';
import { diverges, formatReport, verify } from './verify.ts';
import { UnknownCatchmentLocationError } from './verify-catchment.ts';

/** The location uuids of --catchment, or undefined without it. */
function catchmentArg(args: Args): string[] | undefined {
  const raw = args.catchment as string | undefined;
  if (raw === undefined) return undefined;
  const uuids = [...new Set(raw.split(',').map((u) => u.trim().toLowerCase()).filter(Boolean))];
  if (uuids.length === 0 || uuids.length > MAX_CATCHMENT_LOCATIONS || uuids.some((u) => !UUID_PATTERN.test(u))) {
    throw new UsageError(`--catchment: up to ${MAX_CATCHMENT_LOCATIONS} location uuids separated by commas (got "${raw.slice(0, 80)}")`);
  }
  return uuids;
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'compare every synced row of the sources with the target, by uuid and content',
  usage: 'atomsync verify --source mysql://.../field_a --source mysql://.../field_b --target mysql://.../hq',
  options: [
    { name: 'source', type: 'string', multiple: true, env: 'ATOMSYNC_SOURCES', required: true, arg: 'URL', help: 'a clinic database (space-separated in the env)' },
    { name: 'target', type: 'string', env: 'ATOMSYNC_TARGET', required: true, arg: 'URL', help: 'the database that should hold all of them' },
    {
      name: 'catchment', type: 'string', env: 'ATOMSYNC_CATCHMENT', arg: 'UUID,...',
      help: "the target is a child node: check it holds exactly the sources' part that concerns these locations",
    },
    { name: 'page-rows', type: 'string', env: 'ATOMSYNC_PAGE_ROWS', default: '20000', arg: 'N', help: 'rows read per query' },
  ],
  notes:
    'Exits 1 when any row is missing, different or extra (or, with --catchment, a patient outside the catchment is at the target), 0 when the target matches.',
  async run(args, io) {
    const started = Date.now();
    const catchment = catchmentArg(args);
    const reports = await verify(args.source as string[], String(args.target), {
      pageRows: intArg(args, 'page-rows', 100, 1_000_000),
      catchment,
      onTable: (r) => io.err(`  checked ${r.table}: ${r.sourceRows} rows`),
    }).catch((err: unknown) => {
      throw err instanceof UnknownCatchmentLocationError ? new UsageError(err.message) : err;
    });
    io.out(formatReport(reports));
    const rows = reports.reduce((n, r) => n + r.sourceRows, 0);
    const bad = diverges(reports);
    io.out(`${bad ? 'DIVERGED' : 'OK'}: ${rows} source rows checked in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return bad ? 1 : 0;
  },
};
