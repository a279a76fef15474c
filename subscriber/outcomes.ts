// What became of each feed entry, as the stages report it, and the running
// counts the status page and `atomsync subscribe --once` show.
import type { ApplyResult } from './careful-applier.ts';

export type EntryOutcome = 'applied' | 'unchanged' | 'superseded' | 'conflict' | 'removed' | 'skipped' | 'echo' | 'joined' | 'parked' | 'dead';

export interface PipelineStats {
  applied: number;
  parked: number;
  dead: number;
  skipped: number;
  dependencies: number;
}

export function newStats(): PipelineStats {
  return { applied: 0, parked: 0, dead: 0, skipped: 0, dependencies: 0 };
}

/** Counts an event applied (with the references applied first for it) and says what it came to. */
export function countApplied(stats: PipelineStats, r: ApplyResult): EntryOutcome {
  stats.applied++;
  stats.dependencies += r.dependencies;
  switch (r.outcome) {
    case 'conflict-local-won':
    case 'conflict-remote-won':
      return 'conflict';
    case 'deleted':
    case 'voided':
    case 'absent':
      return 'removed';
    default:
      return r.outcome as EntryOutcome;
  }
}

/** Counts an entry that was not applied. */
export function countNotApplied(stats: PipelineStats, o: 'echo' | 'skipped' | 'dead' | 'parked'): EntryOutcome {
  if (o === 'echo' || o === 'skipped') stats.skipped++;
  else stats[o]++;
  return o;
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
