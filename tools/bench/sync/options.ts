// The subscriber benchmark's options: parsed once, at the entry point.
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** MariaDB server URL without a database. */
  dbServer: string;
  redisUrl: string;
  patients: number;
  /** Clinic changes per second in the live phase. */
  rate: number;
  liveSeconds: number;
  skipLive: boolean;
  /** Keep the databases (and the log directory) for inspection. */
  keep: boolean;
  /** Longest the catch-up may take before the run is abandoned. */
  catchUpTimeoutS: number;
  /** Patients of history in the snapshot phase (a real OpenMRS database adopted by atomsync). */
  snapshotPatients: number;
  skipSnapshot: boolean;
  /** Clinics syncing into one HQ; 2 or more runs the multi-clinic bench (many-clinics.ts). */
  clinics: number;
}

export const BENCH_DEFAULTS = {
  dbServer: 'mysql://root@127.0.0.1:3306',
  redisUrl: 'redis://127.0.0.1:6379',
  patients: 800,
  rate: 50,
  liveSeconds: 60,
  catchUpTimeoutS: 1800,
  snapshotPatients: 4000,
  clinics: 1,
  /** Patients per clinic when --clinics is 2 or more and --patients is not given. */
  patientsPerClinic: 40,
} as const;

export const HELP = `npm run bench -- [options]

Measures HQ's subscriber against one clinic with real processes on 127.0.0.1:
catch-up from an empty database, live latency under a steady write rate, and a
mysqldump | mysql copy of the same data as the baseline; ends with atomsync verify.

  --patients N          patients seeded at the clinic (default ${BENCH_DEFAULTS.patients})
  --rate N              clinic changes per second in the live phase (default ${BENCH_DEFAULTS.rate})
  --live-seconds S      length of the live phase (default ${BENCH_DEFAULTS.liveSeconds})
  --skip-live           catch-up and baseline only
  --snapshot-patients N patients of history in the snapshot phase (default ${BENCH_DEFAULTS.snapshotPatients}): a real OpenMRS
                        database adopted by atomsync publishes them while the clinic keeps writing
  --skip-snapshot       no snapshot phase
  --clinics N           N clinics (2 or more) into one HQ: N publishers, one subscriber with N feeds; catch-up,
                        live (--rate is the total over all clinics), HQ's memory and connections, verify of all.
                        --patients is then per clinic (default ${BENCH_DEFAULTS.patientsPerClinic}); no baseline or snapshot phase
  --keep                keep the databases and logs (they are dropped by default)
  --catch-up-timeout S  give up a catch-up that takes longer (default ${BENCH_DEFAULTS.catchUpTimeoutS})
  --db-server URL       MariaDB server, without a database (default ${BENCH_DEFAULTS.dbServer})
  --redis URL           Redis for the subscriber's retry queue (default ${BENCH_DEFAULTS.redisUrl})

Creates databases as_bench_sub_<random>_{clinic,hq,copy} and a queue of the same
name; drops them, and stops every process it started, at the end, on error and on Ctrl-C.
Prints a table, then one line BENCH_JSON {...} with every figure.`;

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

function intOpt(v: string | undefined, name: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || n < min || n > max) throw new BenchUsageError(`--${name} must be a whole number from ${min} to ${max} (got "${v}")`);
  return n;
}

const SPEC = {
  patients: { type: 'string' },
  rate: { type: 'string' },
  'live-seconds': { type: 'string' },
  'skip-live': { type: 'boolean' },
  'snapshot-patients': { type: 'string' },
  'skip-snapshot': { type: 'boolean' },
  clinics: { type: 'string' },
  keep: { type: 'boolean' },
  'catch-up-timeout': { type: 'string' },
  'db-server': { type: 'string' },
  redis: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, strict: true, options: SPEC }).values;
  } catch (err) {
    throw new BenchUsageError((err as Error).message);
  }
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const v = parseFlags(argv);
  if (v.help) return 'help';
  const clinics = intOpt(v.clinics, 'clinics', BENCH_DEFAULTS.clinics, 1, 200);
  return {
    dbServer: (v['db-server'] ?? BENCH_DEFAULTS.dbServer).replace(/\/+$/, ''),
    redisUrl: v.redis ?? BENCH_DEFAULTS.redisUrl,
    patients: intOpt(v.patients, 'patients', clinics > 1 ? BENCH_DEFAULTS.patientsPerClinic : BENCH_DEFAULTS.patients, 1, 1_000_000),
    rate: intOpt(v.rate, 'rate', BENCH_DEFAULTS.rate, 1, 5000),
    liveSeconds: intOpt(v['live-seconds'], 'live-seconds', BENCH_DEFAULTS.liveSeconds, 1, 3600),
    skipLive: Boolean(v['skip-live']),
    keep: Boolean(v.keep),
    catchUpTimeoutS: intOpt(v['catch-up-timeout'], 'catch-up-timeout', BENCH_DEFAULTS.catchUpTimeoutS, 10, 86_400),
    snapshotPatients: intOpt(v['snapshot-patients'], 'snapshot-patients', BENCH_DEFAULTS.snapshotPatients, 1, 1_000_000),
    skipSnapshot: Boolean(v['skip-snapshot']),
    clinics,
  };
}
