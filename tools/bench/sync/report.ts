// The benchmark's human report: the figures as tables, the processes' CPU and
// memory side by side, and a loud line when the result is not valid.
import type { CopyResult } from './baseline-copy.ts';
import type { CatchUpResult } from './catch-up.ts';
import type { LiveResult } from './live-latency.ts';
import type { BenchOptions } from './options.ts';
import { MACHINE } from './proc-stats.ts';
import type { SnapshotPhaseResult } from './snapshot-phase.ts';
import { round, seconds, table } from '../stats.ts';
import type { LatencySummary } from '../stats.ts';
import type { VerifyResult } from './verify-run.ts';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemBytes: number;
  platform: string;
  node: string;
  mariadb: string;
  date: string;
}

/** One process (or the whole machine, or what the watched processes do not explain) over one phase. */
export interface ProcessFigures {
  /** CPU seconds used in the phase. */
  cpuS: number;
  /** Average over the phase, in % of one core. */
  cpuPct: number;
  /** Busiest second of the phase, in % of one core (null for "other"). */
  peakCpuPct: number | null;
  /** CPU milliseconds per event (catch-up) or per change (live). */
  cpuMsPerUnit: number | null;
  /** Largest VmRSS sampled in the phase (null for the machine and "other"). */
  maxRssKb: number | null;
}

/** Rows of the process tables that are not one process. */
export const OTHER = 'other (not watched)';
const NOT_A_PROCESS = new Set([MACHINE, OTHER, 'bench']);

export interface MemoryFigures {
  /** VmHWM when the catch-up ended, and at the end of the run. */
  peakAfterCatchUpKb: number | null;
  peakAtEndKb: number | null;
  /** Largest VmRSS seen by the 200 ms sampling over the whole run. */
  maxSampledRssKb: number | null;
}

export interface BenchResult {
  valid: boolean;
  invalidBecause: string[];
  machine: MachineInfo;
  options: BenchOptions;
  databases: { clinic: string; hq: string; copy: string };
  /** CPU in % of one core during 2 s before the publisher started; quiet when low. */
  background: { machinePct: number | null; mariadbdPct: number | null; quiet: boolean };
  seed: { patients: number; rows: number; elapsedMs: number; rowsPerSecond: number; clinicSyncedRows: number };
  relay: { outboxRows: number; drainMs: number };
  catchUp: CatchUpResult & { processes: Record<string, ProcessFigures> };
  live: (LiveResult & { processes: Record<string, ProcessFigures> }) | null;
  /** wallMs: the copy before the catch-up; wallMsAfter: the same copy right after it; the ratio is to their mean. */
  baseline: CopyResult & { wallMsAfter: number; meanWallMs: number; rows: number; catchUpToCopyRatio: number };
  memory: Record<string, MemoryFigures>;
  final: { events: number; dead: number; conflicts: number; settleMs: number };
  verify: VerifyResult;
  /** Phase 4, adopting a site with its history; null when skipped by option. */
  snapshot: SnapshotPhaseResult | { skipped: string } | null;
}

const mib = (kb: number | null) => (kb === null ? '-' : String(round(kb / 1024, 1)));

function processTable(procs: Record<string, ProcessFigures>, memory: Record<string, MemoryFigures> | null, unit: string): string {
  return table(
    ['process', 'CPU avg %', 'CPU busiest 1 s %', 'CPU s', `CPU ms/${unit}`, 'max RSS MiB', ...(memory ? ['peak RSS (VmHWM) MiB'] : [])],
    Object.entries(procs).map(([name, p]) => [
      name,
      p.cpuPct,
      p.peakCpuPct ?? '-',
      round(p.cpuS, 1),
      p.cpuMsPerUnit === null ? '-' : p.cpuMsPerUnit,
      mib(p.maxRssKb),
      ...(memory ? [mib(memory[name]?.peakAfterCatchUpKb ?? null)] : []),
    ]),
  );
}

const latencyRow = (name: string, l: LatencySummary) => [name, l.count, l.p50Ms, l.p95Ms, l.p99Ms, l.maxMs];

/** Where the catch-up's time went, in one sentence. */
export function bottleneck(procs: Record<string, ProcessFigures>, cpus: number, wallMs: number): string {
  const named = Object.entries(procs).filter(([name]) => !NOT_A_PROCESS.has(name));
  if (named.length === 0) return 'no process could be sampled (no /proc?)';
  const [top, p] = named.reduce((a, b) => (b[1].cpuS > a[1].cpuS ? b : a));
  const machine = procs[MACHINE];
  const machinePct = machine ? round(machine.cpuPct / cpus) : null;
  const saturated = p.cpuPct >= 85 ? ' (about one full core: a Node process runs its JavaScript on one core, so it looks CPU-bound)' : '';
  const other = procs[OTHER];
  return [
    `busiest during catch-up: ${top}, ${p.cpuPct}% of a core on average${saturated}`,
    machinePct === null
      ? ''
      : `; the machine was ${machinePct}% busy (${cpus} cores)` +
        (machinePct < 60 ? ', so much of the time goes to waiting (round trips, commits), not computing' : ''),
    other && other.cpuPct >= 15 ? `; WARNING: processes this benchmark did not start used ${other.cpuPct}% of a core meanwhile, figures are disturbed` : '',
  ].join('');
}

export function formatReport(r: BenchResult): string {
  return [
    ...runSection(r),
    ...catchUpSection(r),
    ...(r.live ? liveSection(r, r.live) : []),
    ...afterRunSection(r),
    ...(r.snapshot ? snapshotSection(r.snapshot) : []),
    '',
    verdict(r),
  ].join('\n');
}

/** The machine, how busy it was before the run, and what the clinic was seeded with. */
function runSection(r: BenchResult): string[] {
  const m = r.machine;
  return [
    '',
    `atomsync subscriber benchmark, ${m.date}: ${m.cpus} x ${m.cpuModel}, ${round(m.totalMemBytes / 2 ** 30, 1)} GiB, ${m.platform}, Node ${m.node}, MariaDB ${m.mariadb}`,
    `before the run, 2 s of the machine at rest: ${r.background.machinePct}% busy (100% = one core), mariadbd ${r.background.mariadbdPct}%` +
      (r.background.quiet ? '' : '  <-- WARNING: NOT QUIET, something else is using the machine or the database server'),
    `clinic: ${r.seed.patients} patients, ${r.seed.rows} rows seeded in ${seconds(r.seed.elapsedMs)} s (${r.seed.rowsPerSecond} rows/s), ` +
      `${r.seed.clinicSyncedRows} rows in synced tables; the publisher's relay numbered ${r.relay.outboxRows} outbox rows in ${seconds(r.relay.drainMs)} s`,
  ];
}

function catchUpSection(r: BenchResult): string[] {
  const m = r.machine;
  const c = r.catchUp;
  return [
    '',
    'Catch-up: HQ from an empty database, one feed, `atomsync subscribe` at its defaults (batches of 400 entries, long polls of 20 s; timed from its spawn)',
    table(
      ['events', 'HQ rows after', 'rows added', 'wall s', 'events/s', 'rows/s', 'started ms', 'first applied ms', 'events/s once started', 'dead letters'],
      [[
        c.events, c.hqRows, c.hqRowsAdded, seconds(c.wallMs, 2), c.eventsPerSecond, c.rowsPerSecond,
        c.readyMs ?? '-', c.firstAppliedMs ?? '-', c.eventsPerSecondAfterStart ?? '-', c.dead,
      ]],
    ),
    '',
    '  (started = its "subscriber started" log line: Node, tsx and connections; wall time and first applied count from the spawn)',
    '',
    processTable(c.processes, r.memory, 'event'),
    `  ${bottleneck(c.processes, m.cpus, c.wallMs)}`,
    '  (CPU from /proc/<pid>/stat and /proc/stat, RSS from /proc/<pid>/status, sampled every 200 ms; 100% = one core;' +
      ' "bench" is this script, polling; mariadbd serves both the publisher\'s and the subscriber\'s queries)',
  ];
}

function liveSection(r: BenchResult, l: NonNullable<BenchResult['live']>): string[] {
  return [
    '',
    `Live latency: ${l.planned} changes at ${r.options.rate}/s for ${r.options.liveSeconds} s (name edits and new patients), ` +
      `commit at the clinic -> visible at HQ`,
    table(
      ['changes', 'count', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [latencyRow('all', l.latency), latencyRow('name edits', l.nameLatency), latencyRow('new patients', l.patientLatency)],
    ),
    `  committed ${l.committed}/${l.planned}${l.failed ? ` (${l.failed} failed: ${l.firstError})` : ''}, seen at HQ ${l.seen}, ` +
      `NOT seen within the timeout ${l.unseen}; achieved ${l.achievedRate} changes/s, writes started late by p99 ${l.startLateness.p99Ms} ms, max ${l.startLateness.maxMs} ms`,
    `  the bench reads HQ's database every ${l.pollMs} ms (${l.polls} reads): each latency includes up to ${l.pollMs} ms of that plus one query`,
    '',
    processTable(l.processes, null, 'change'),
  ];
}

/** The baseline copy, HQ's state after the run, the memory peaks and verify. */
function afterRunSection(r: BenchResult): string[] {
  const b = r.baseline;
  const out = [
    '',
    `Baseline: ${b.dump.split('/').pop()} --single-transaction --skip-triggers | ${b.client.split('/').pop()} of the same ${b.rows} rows ` +
      `(${round(b.bytes / 2 ** 20, 1)} MiB of SQL) into an empty database: ${seconds(b.wallMs, 2)} s before the catch-up, ` +
      `${seconds(b.wallMsAfter, 2)} s right after it; catch-up / mean copy (${seconds(b.meanWallMs, 2)} s) = ${b.catchUpToCopyRatio} x`,
    '',
    `After the run: ${r.final.events} events at the clinic, ${r.final.dead} dead letters and ${r.final.conflicts} conflicts at HQ; ` +
      `HQ had everything ${seconds(r.final.settleMs, 2)} s after the ${r.live ? 'live phase' : 'catch-up'}`,
    `peak RSS (VmHWM) over the whole run: ${Object.entries(r.memory)
      .filter(([, f]) => f.peakAtEndKb !== null)
      .map(([name, f]) => `${name} ${mib(f.peakAtEndKb)} MiB`)
      .join(', ')}`,
    `verify (exit ${r.verify.exitCode}, ${seconds(r.verify.wallMs)} s): ${r.verify.summary}`,
  ];
  if (r.verify.report) out.push(r.verify.report);
  return out;
}

function snapshotSection(s: NonNullable<BenchResult['snapshot']>): string[] {
  if ('skipped' in s) return ['', `Snapshot phase skipped: ${s.skipped}`];
  const out = [
    '',
    `Snapshot: a real OpenMRS database (${s.schema}) with ${s.patients} patients of history written before atomsync ` +
      `(${seconds(s.seedMs)} s), adopted by \`migrate\` and published by \`atomsync publish\` (chunks of ${s.chunkRows} rows, the default)`,
    table(['rows published', 'wall s', 'rows/s'], [[s.rows, seconds(s.wallMs, 2), s.rowsPerSecond]]),
    `  the clinic's own transactions at ${s.clinicWrites.rate}/s (register, visit with ~20 obs, name fix, void), begin to commit` +
      (s.clinicWrites.failed ? `; ${s.clinicWrites.failed} failed` : ''),
    table(
      ['clinic writes', 'count', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [latencyRow('no publisher', s.clinicWrites.quiet), latencyRow('during the snapshot', s.clinicWrites.duringSnapshot)],
    ),
    `  HQ's catch-up from it (subscribe --once, empty HQ): ${s.hqCatchUp.events} events in ${seconds(s.hqCatchUp.wallMs, 2)} s = ` +
      `${s.hqCatchUp.eventsPerSecond} events/s; verify (exit ${s.verify.exitCode}): ${s.verify.summary}`,
  ];
  if (s.verify.report) out.push(s.verify.report);
  return out;
}

function verdict(r: BenchResult): string {
  return r.valid
    ? `VALID: HQ converged with the clinic (atomsync verify exit 0)${r.live ? ' and every live change was seen at HQ' : ''}.`
    : `*** NOT VALID: ${r.invalidBecause.join('; ')}. Do not quote these figures. ***`;
}
