// `atomsync verify`: does the target hold every synced row of the sources? (verify.ts)
import { intArg } from '../shared/cli/args.ts';
import type { Command } from '../shared/cli/args.ts';
import { diverges, formatReport, verify } from './verify.ts';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'compare every synced row of the sources with the target, by uuid and content',
  usage: 'atomsync verify --source mysql://.../field_a --source mysql://.../field_b --target mysql://.../hq',
  options: [
    { name: 'source', type: 'string', multiple: true, env: 'ATOMSYNC_SOURCES', required: true, arg: 'URL', help: 'a clinic database (space-separated in the env)' },
    { name: 'target', type: 'string', env: 'ATOMSYNC_TARGET', required: true, arg: 'URL', help: 'the database that should hold all of them' },
    { name: 'page-rows', type: 'string', env: 'ATOMSYNC_PAGE_ROWS', default: '20000', arg: 'N', help: 'rows read per query' },
  ],
  notes: 'Exits 1 when any row is missing, different or extra, 0 when the target matches.',
  async run(args, io) {
    const started = Date.now();
    const reports = await verify(args.source as string[], String(args.target), {
      pageRows: intArg(args, 'page-rows', 100, 1_000_000),
      onTable: (r) => io.err(`  checked ${r.table}: ${r.sourceRows} rows`),
    });
    io.out(formatReport(reports));
    const rows = reports.reduce((n, r) => n + r.sourceRows, 0);
    const bad = diverges(reports);
    io.out(`${bad ? 'DIVERGED' : 'OK'}: ${rows} source rows checked in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return bad ? 1 : 0;
  },
};
