// The publisher bench's options: its --help, and the flags parsed and checked.
import { parseArgs } from 'node:util';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../../shared/protocol.ts';

export interface BenchOptions {
  dbServer: string;
  patients: number;
  seconds: number;
  writeSeconds: number;
  writers: number;
  rowsPerTransaction: number;
  connections: number;
  pageSize: number;
  server: 'child' | 'inline';
}

export const HELP = `npm run bench:publisher -- [options]

  --patients N        patients to seed before timing the relay (default 300)
  --seconds S         duration of each feed-serving phase (default 10)
  --write-seconds S   duration of the concurrent-writers phase (default 10)
  --writers N         concurrent writer connections (default 4)
  --rows-per-tx N     locations inserted per writer transaction (default 3)
  --connections N     HTTP keep-alive connections of the load generator (default 16)
  --page-size N       events per feed page (default ${DEFAULT_PAGE_SIZE})
  --inline            run the publisher in this process instead of a child process
  --db-server URL     MariaDB server, without a database (default mysql://root@127.0.0.1:3306)

Creates a database named as_bench_pub_<random>, and drops it at the end, on error and on Ctrl-C.`;

function intOpt(v: string | undefined, name: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max} (got "${v}")`);
  return n;
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      patients: { type: 'string' },
      seconds: { type: 'string' },
      'write-seconds': { type: 'string' },
      writers: { type: 'string' },
      'rows-per-tx': { type: 'string' },
      connections: { type: 'string' },
      'page-size': { type: 'string' },
      inline: { type: 'boolean' },
      'db-server': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return 'help';
  return {
    dbServer: (v['db-server'] ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, ''),
    patients: intOpt(v.patients, 'patients', 300, 1, 100_000),
    seconds: intOpt(v.seconds, 'seconds', 10, 1, 300),
    writeSeconds: intOpt(v['write-seconds'], 'write-seconds', 10, 1, 300),
    writers: intOpt(v.writers, 'writers', 4, 1, 64),
    rowsPerTransaction: intOpt(v['rows-per-tx'], 'rows-per-tx', 3, 1, 1000),
    connections: intOpt(v.connections, 'connections', 16, 1, 256),
    pageSize: intOpt(v['page-size'], 'page-size', DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
    server: v.inline ? 'inline' : 'child',
  };
}
