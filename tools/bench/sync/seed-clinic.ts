// Seeds the bench's clinic, showing progress: every change on a terminal, every tenth in a log.
import type { Pool } from '../../../shared/db.ts';
import { seedNode } from '../../seed/index.ts';
import type { Progress } from './progress.ts';

export async function seedClinic(pool: Pool, patients: number, progress: Progress) {
  let lastTenth = -1;
  const report = await seedNode(pool, {
    patients,
    seed: 'bench',
    onProgress: (done, total) => {
      const tenth = Math.floor((10 * done) / total);
      if (progress.tty) progress.update(`seeding: ${done}/${total} patients`);
      else if (tenth !== lastTenth) progress.update(`seeding: ${done}/${total} patients`, true);
      lastTenth = tenth;
    },
  });
  progress.end();
  return report;
}
