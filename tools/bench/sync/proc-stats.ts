// Cheap process accounting from /proc: CPU time (utime + stime of every thread)
// and resident memory, sampled every few hundred milliseconds for a few named
// processes, so a phase can say how busy each one was and how much memory it held.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcReading {
  /** CPU seconds used so far, all threads. */
  cpuS: number;
  rssKb: number;
  /** Peak resident set size so far (the kernel's high-water mark). */
  hwmKb: number;
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export function readProc(pid: number): ProcReading | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime (fields 14, 15)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { cpuS, rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine has been busy (all cores, every process and the kernel). */
export function readMachine(): ProcReading | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user)
    const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + (cpu[7] ?? 0);
    return { cpuS: busy / CLOCK_TICKS, rssKb: 0, hwmKb: 0 };
  } catch {
    return null;
  }
}

/** The name under which ProcMonitor records the whole machine. */
export const MACHINE = 'whole machine';

/** The pid of the first process whose command name is one of `names`, or null. */
export function findPid(names: string[]): number | null {
  try {
    for (const d of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(d)) continue;
      try {
        if (names.includes(readFileSync(`/proc/${d}/comm`, 'utf8').trim())) return Number(d);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc (not Linux)
  }
  return null;
}

interface Sample {
  at: number;
  readings: Map<string, ProcReading>;
}

export interface WindowStats {
  /** CPU seconds used in the window. */
  cpuS: number;
  /** Average CPU over the window, in % of one core. */
  cpuPct: number;
  /** Busiest second of the window, in % of one core. */
  peakCpuPct: number;
  /** Largest VmRSS sampled in the window. */
  maxRssKb: number;
}

/** Samples every watched process at a fixed interval; windows are read from the samples. */
export class ProcMonitor {
  private readonly watched = new Map<string, number>();
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly intervalMs = 200) {}

  watch(name: string, pid: number | null): void {
    if (pid !== null && pid > 0) this.watched.set(name, pid);
  }

  /** The watched processes' names (not the whole machine). */
  names(): string[] {
    return [...this.watched.keys()];
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Takes a sample now and returns its time, to mark the edge of a window. */
  mark(): number {
    return this.sample().at;
  }

  /** The latest reading of a process (its VmHWM is the peak since it started). */
  latest(name: string): ProcReading | null {
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const r = this.samples[i].readings.get(name);
      if (r) return r;
    }
    return null;
  }

  /** Average and peak CPU and the largest RSS of a process between two marks. */
  window(name: string, from: number, to: number): WindowStats | null {
    const s = this.samples.filter((x) => x.at >= from && x.at <= to && x.readings.has(name));
    if (s.length < 2) return null;
    const first = s[0];
    const last = s[s.length - 1];
    const pct = (a: Sample, b: Sample) => (100 * (b.readings.get(name)!.cpuS - a.readings.get(name)!.cpuS)) / Math.max(0.001, (b.at - a.at) / 1000);
    let peak = 0;
    let j = 0;
    for (let i = 1; i < s.length; i++) {
      while (j + 1 < i && s[i].at - s[j + 1].at >= 1000) j++;
      if (s[i].at - s[j].at >= 1000) peak = Math.max(peak, pct(s[j], s[i]));
    }
    if (peak === 0) peak = pct(first, last);
    return {
      cpuS: last.readings.get(name)!.cpuS - first.readings.get(name)!.cpuS,
      cpuPct: Math.round(pct(first, last)),
      peakCpuPct: Math.round(peak),
      maxRssKb: Math.max(...s.map((x) => x.readings.get(name)!.rssKb)),
    };
  }

  /** CPU % of one core of each process over the last `ms` (for the progress line). */
  recentCpu(ms = 2000): Map<string, number> {
    const out = new Map<string, number>();
    const last = this.samples[this.samples.length - 1];
    if (!last) return out;
    const first = this.samples.find((x) => x.at >= last.at - ms) ?? last;
    for (const name of this.watched.keys()) {
      const a = first.readings.get(name);
      const b = last.readings.get(name);
      if (a && b && last.at > first.at) out.set(name, Math.round((100 * (b.cpuS - a.cpuS)) / ((last.at - first.at) / 1000)));
    }
    return out;
  }

  private sample(): Sample {
    const readings = new Map<string, ProcReading>();
    const machine = readMachine();
    if (machine) readings.set(MACHINE, machine);
    for (const [name, pid] of this.watched) {
      const r = readProc(pid);
      if (r) readings.set(name, r);
    }
    const s = { at: Date.now(), readings };
    this.samples.push(s);
    return s;
  }
}
