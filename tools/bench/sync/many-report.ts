// The multi-clinic bench's result and its human report: one summary table (the
// whole run, the slowest clinic, HQ's memory and connections), one row per clinic,
// the processes' CPU with the N publishers added together, and a loud line when
// the result is not valid.
import type { ConnectionPeaks } from './hq-connections.ts';
import type { LiveResult } from './live-latency.ts';
import type { BenchOptions } from './options.ts';
import type { ProcMonitor } from './proc-stats.ts';
import type { BenchResult, MachineInfo, ProcessFigures } from './report.ts';
import { round, seconds, table } from '../stats.ts';
import type { VerifyResult } from './verify-run.ts';

export interface ClinicFigures {
  clinic: string;
  events: number;
  /** From the subscriber's spawn until HQ stood at this clinic's newest event with nothing of it waiting. */
  caughtUpMs: number;
  live: LiveResult | null;
}

export interface MemoryOfRun {
  /** HQ's subscriber: its VmHWM, and the largest VmRSS the sampling saw. */
  subscriber: { peakKb: number | null; maxSampledRssKb: number | null };
  /** The clinics' publishers: the largest VmHWM of any one, and the sum of their last VmRSS. */
  publishers: { count: number; maxPeakKb: number | null; sumRssKb: number };
}

export interface ManyResult {
  valid: boolean;
  invalidBecause: string[];
  machine: MachineInfo;
  background: BenchResult['background'];
  options: BenchOptions;
  hqDatabase: string;
  seed: { patientsPerClinic: number; rows: number; elapsedMs: number };
  /** Wall time to start every publisher and number every outbox. */
  relayMs: number;
  catchUp: {
    totalEvents: number;
    events: number[];
    wallMs: number;
    eventsPerSecond: number;
    readyMs: number | null;
    caughtUpMs: number[];
    startedAt: number;
    endedAt: number;
    processes: Record<string, ProcessFigures>;
  };
  liveProcesses: Record<string, ProcessFigures> | null;
  perClinic: ClinicFigures[];
  memoryAfterCatchUp: MemoryOfRun;
  memory: MemoryOfRun;
  connections: ConnectionPeaks;
  final: { dead: number; conflicts: number; settleMs: number };
  verify: VerifyResult;
}

export function memoryOf(monitor: ProcMonitor): MemoryOfRun {
  const pubs = monitor.names().filter((n) => n.startsWith('publisher-'));
  const peaks = pubs.map((n) => monitor.latest(n)?.hwmKb ?? 0);
  return {
    subscriber: { peakKb: monitor.latest('subscriber')?.hwmKb ?? null, maxSampledRssKb: monitor.window('subscriber', 0, Infinity)?.maxRssKb ?? null },
    publishers: { count: pubs.length, maxPeakKb: peaks.length ? Math.max(...peaks) : null, sumRssKb: pubs.reduce((a, n) => a + (monitor.latest(n)?.rssKb ?? 0), 0) },
  };
}

export function manyInvalidReasons(r: ManyResult): string[] {
  const out: string[] = [];
  if (!r.verify.converged) out.push(`HQ DIVERGED from the clinics (atomsync verify exit ${r.verify.exitCode})`);
  const unseen = r.perClinic.reduce((n, c) => n + (c.live?.unseen ?? 0), 0);
  const failed = r.perClinic.reduce((n, c) => n + (c.live?.failed ?? 0), 0);
  if (unseen > 0) out.push(`${unseen} live changes were never seen at HQ`);
  if (failed > 0) out.push(`${failed} live writes failed at the clinics`);
  if (r.final.dead > 0) out.push(`${r.final.dead} dead letters at HQ`);
  return out;
}

const mib = (kb: number | null) => (kb === null ? '-' : `${round(kb / 1024, 1)} MiB`);
const s = (ms: number | null) => (ms === null ? '-' : `${seconds(ms, 2)} s`);

/** The clinic with the largest value of `f`, and the value. */
function worst(clinics: ClinicFigures[], f: (c: ClinicFigures) => number): { clinic: string; value: number } {
  return clinics.reduce((w, c) => (f(c) > w.value ? { clinic: c.clinic, value: f(c) } : w), { clinic: '-', value: -Infinity });
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v.length ? v[Math.floor((v.length - 1) / 2)] : 0;
}

function summaryRows(r: ManyResult): Array<[string, string | number]> {
  const c = r.catchUp;
  const slowest = worst(r.perClinic, (x) => x.caughtUpMs);
  const live = r.perClinic.filter((x) => x.live).map((x) => ({ ...x, live: x.live! }));
  const rows: Array<[string, string | number]> = [
    ['clinics, patients each', `${r.perClinic.length}, ${r.seed.patientsPerClinic}`],
    ['seeding (3 clinics at a time)', `${r.seed.rows} rows in ${s(r.seed.elapsedMs)}`],
    ['publishers started, outboxes numbered', s(r.relayMs)],
    ['catch-up: events, wall time', `${c.totalEvents} in ${s(c.wallMs)}`],
    ['catch-up: total events/s', c.eventsPerSecond],
    ['subscriber start-up (spawn to "subscriber started")', s(c.readyMs)],
    ['clinic caught up: first, median, slowest', `${s(Math.min(...c.caughtUpMs))}, ${s(median(c.caughtUpMs))}, ${s(slowest.value)} (${slowest.clinic})`],
    ['slowest clinic caught up after the first by', s(slowest.value - Math.min(...c.caughtUpMs))],
  ];
  if (live.length) {
    const worstP99 = worst(live, (x) => x.live!.latency.p99Ms);
    const committed = live.reduce((n, x) => n + x.live.committed, 0);
    const seen = live.reduce((n, x) => n + x.live.seen, 0);
    rows.push(
      ['live: changes committed, seen at HQ', `${committed}, ${seen} (${round(r.options.rate, 1)}/s in total for ${r.options.liveSeconds} s)`],
      ['live commit-to-HQ p50, median of the clinics', `${median(live.map((x) => x.live.latency.p50Ms))} ms`],
      ['live commit-to-HQ p99, median of the clinics', `${median(live.map((x) => x.live.latency.p99Ms))} ms`],
      ['live commit-to-HQ p99, worst clinic', `${worstP99.value} ms (${worstP99.clinic})`],
      ['live commit-to-HQ max, worst clinic', `${worst(live, (x) => x.live!.latency.maxMs).value} ms`],
      [`bench's reads of HQ (every ${live[0].live.pollMs} ms per clinic with a change pending)`, `${round(live.reduce((n, x) => n + x.live.polls, 0) / r.options.liveSeconds)}/s`],
    );
  }
  const k = r.connections.subscriberSockets;
  rows.push(
    ['HQ subscriber peak RSS (VmHWM): after catch-up, at end', `${mib(r.memoryAfterCatchUp.subscriber.peakKb)}, ${mib(r.memory.subscriber.peakKb)}`],
    ['publishers: largest peak RSS, sum of RSS', `${mib(r.memory.publishers.maxPeakKb)}, ${mib(r.memory.publishers.sumRssKb)}`],
    ['HQ subscriber sockets (peak): MariaDB, Redis', k ? `${k.mariadb}, ${k.redis}` : '- (no /proc)'],
    ['HQ subscriber sockets (peak): to publishers, publishers reached', k ? `${k.publishers}, ${k.publishersConnected} of ${r.perClinic.length}` : '-'],
    ["sessions in HQ's database (peak, PROCESSLIST, less the bench's)", r.connections.hqSessions],
    ['MariaDB Threads_connected (peak, whole server)', r.connections.serverThreads],
    ['dead letters, conflicts at HQ', `${r.final.dead}, ${r.final.conflicts}`],
    ['verify (all clinics against HQ)', r.verify.summary],
  );
  return rows;
}

function clinicRows(r: ManyResult): Array<Array<string | number>> {
  return r.perClinic.map((c) => [
    c.clinic, c.events, seconds(c.caughtUpMs, 2),
    ...(c.live ? [c.live.committed, c.live.latency.p50Ms, c.live.latency.p99Ms, c.live.latency.maxMs, c.live.unseen] : ['-', '-', '-', '-', '-']),
  ]);
}

/** The processes' CPU over a phase, the publishers added together into one row. */
function processRows(procs: Record<string, ProcessFigures>): Array<Array<string | number>> {
  const pubs = Object.entries(procs).filter(([n]) => n.startsWith('publisher-'));
  const rest = Object.entries(procs).filter(([n]) => !n.startsWith('publisher-'));
  const sum = pubs.reduce((a, [, p]) => ({ cpuS: a.cpuS + p.cpuS, cpuPct: a.cpuPct + p.cpuPct }), { cpuS: 0, cpuPct: 0 });
  const rows = rest.map(([n, p]) => [n, p.cpuPct, round(p.cpuS, 1), p.cpuMsPerUnit ?? '-']);
  if (pubs.length) rows.splice(1, 0, [`publishers (${pubs.length}, together)`, sum.cpuPct, round(sum.cpuS, 1), '-']);
  return rows;
}

export function formatManyReport(r: ManyResult): string {
  const m = r.machine;
  const out = [
    '',
    `${r.perClinic.length} clinics into one HQ (atomsync subscribe at its defaults: long polling, no --poll-ms), ${m.date}`,
    `machine: ${m.cpus} x ${m.cpuModel}, ${round(m.totalMemBytes / 2 ** 30, 1)} GiB, ${m.platform}, node ${m.node}, MariaDB ${m.mariadb}` +
      `; before the run: machine ${r.background.machinePct}% busy, mariadbd ${r.background.mariadbdPct}%${r.background.quiet ? '' : ' (NOT quiet)'}`,
    '',
    table(['figure', 'value'], summaryRows(r)),
    '',
    table(['clinic', 'events', 'caught up s', 'live changes', 'p50 ms', 'p99 ms', 'max ms', 'unseen'], clinicRows(r)),
    '',
    'CPU during the catch-up (% of one core):',
    table(['process', 'CPU avg %', 'CPU s', 'CPU ms/event'], processRows(r.catchUp.processes)),
  ];
  if (r.liveProcesses) out.push('', 'CPU during the live phase:', table(['process', 'CPU avg %', 'CPU s', 'CPU ms/change'], processRows(r.liveProcesses)));
  if (r.verify.report) out.push('', r.verify.report);
  out.push('', r.valid ? 'VALID' : `NOT VALID: ${r.invalidBecause.join('; ')}`);
  return out.join('\n');
}
