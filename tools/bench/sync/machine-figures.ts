// What the machine is and how busy it was: its description for the report, a look at
// it before the run, and the CPU and memory of every watched process over a window.
import os from 'node:os';
import type { Pool } from '../../../shared/db.ts';
import { round, sleep } from '../stats.ts';
import { serverVersion } from './db-figures.ts';
import { MACHINE } from './proc-stats.ts';
import type { ProcMonitor } from './proc-stats.ts';
import { OTHER } from './report.ts';
import type { BenchResult, MachineInfo, ProcessFigures } from './report.ts';

export async function machineInfo(pool: Pool): Promise<MachineInfo> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    totalMemBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    mariadb: await serverVersion(pool),
    date: new Date().toISOString(),
  };
}

/** CPU and memory of every watched process over a window, then the whole machine and what the processes do not explain. */
export function processFigures(monitor: ProcMonitor, from: number, to: number, units: number): Record<string, ProcessFigures> {
  const out: Record<string, ProcessFigures> = {};
  const perUnit = (cpuS: number) => (units > 0 ? round((1000 * cpuS) / units, 2) : null);
  let watchedS = 0;
  for (const name of monitor.names()) {
    const w = monitor.window(name, from, to);
    if (!w) continue;
    out[name] = { ...w, cpuS: round(w.cpuS, 2), cpuMsPerUnit: perUnit(w.cpuS) };
    watchedS += w.cpuS;
  }
  const m = monitor.window(MACHINE, from, to);
  if (m) {
    out[MACHINE] = { ...m, cpuS: round(m.cpuS, 2), maxRssKb: null, cpuMsPerUnit: perUnit(m.cpuS) };
    const otherS = Math.max(0, m.cpuS - watchedS);
    out[OTHER] = { cpuS: round(otherS, 2), cpuPct: Math.round((100 * otherS) / Math.max(0.001, (to - from) / 1000)), peakCpuPct: null, maxRssKb: null, cpuMsPerUnit: perUnit(otherS) };
  }
  return out;
}

/** A look at the machine for 2 s before the run: a busy machine or database server makes every figure doubtful. */
export async function atRest(monitor: ProcMonitor): Promise<BenchResult['background']> {
  const from = monitor.mark();
  await sleep(2000);
  const to = monitor.mark();
  const machine = monitor.window(MACHINE, from, to);
  const mariadbd = monitor.window('mariadbd', from, to);
  return {
    machinePct: machine?.cpuPct ?? null,
    mariadbdPct: mariadbd?.cpuPct ?? null,
    quiet: (machine?.cpuPct ?? 0) < 25 && (mariadbd?.cpuPct ?? 0) < 10,
  };
}
