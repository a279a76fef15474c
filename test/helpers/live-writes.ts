// A clinic at work during a test: registrations, visits, name fixes and voids on
// a timer, one transaction each, as tools/seed/live.ts writes them.
import type { Pool } from '../../shared/db.ts';
import { createPatient, createVisitWithEncounter, editPatientName, pickEncounterId, pickPatientId, voidEncounter } from '../../tools/seed/index.ts';
import type { LiveContext } from '../../tools/seed/index.ts';

export interface LiveWriteCounts {
  patients: number;
  visits: number;
  edits: number;
  voids: number;
  /** Actions that failed (a deadlock, say); they rolled back and published nothing. */
  errors: number;
  /** The first failure's message, so a test that fails on the counts says why the writes failed. */
  firstError?: string;
}

const ACTIONS = [['patient', 2], ['visit', 4], ['edit', 3], ['void', 1]] as const;

/** Writes every `everyMs` until stop(), which waits for the write in progress. */
export function startLiveWrites(pool: Pool, ctx: LiveContext, everyMs = 150): { counts: LiveWriteCounts; stop(): Promise<LiveWriteCounts> } {
  const counts: LiveWriteCounts = { patients: 0, visits: 0, edits: 0, voids: 0, errors: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        await act(pool, ctx, counts);
      } catch (err) {
        counts.errors++;
        counts.firstError ??= (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    counts,
    async stop() {
      stopped = true;
      await loop;
      return counts;
    },
  };
}

async function act(pool: Pool, ctx: LiveContext, counts: LiveWriteCounts): Promise<void> {
  switch (ctx.rng.weighted(ACTIONS)) {
    case 'patient':
      await createPatient(pool, ctx);
      counts.patients++;
      return;
    case 'visit': {
      const id = await pickPatientId(pool, ctx.rng);
      if (id !== null) await createVisitWithEncounter(pool, ctx, id);
      counts.visits++;
      return;
    }
    case 'edit': {
      const id = await pickPatientId(pool, ctx.rng);
      if (id !== null && (await editPatientName(pool, ctx, id))) counts.edits++;
      return;
    }
    case 'void': {
      const id = await pickEncounterId(pool, ctx.rng);
      if (id !== null && (await voidEncounter(pool, ctx, id)).voided) counts.voids++;
    }
  }
}
