// Writes a population with known duplicates into a database, for trying `atomsync duplicates`
// by hand: node --import tsx tools/seed/duplicates-cli.ts --db URL [--people 5000] [--seed S]
// The database needs OpenMRS's tables and a user (`atomsync migrate`, or a real OpenMRS one).
// Prints counts only; the truth (pairs of uuids) goes to --truth FILE when asked.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openPool } from '../../shared/db.ts';
import { writeDuplicatePopulation } from './duplicates.ts';

const { values } = parseArgs({
  options: { db: { type: 'string' }, people: { type: 'string', default: '5000' }, seed: { type: 'string', default: 'duplicates' }, truth: { type: 'string' } },
});
if (!values.db) {
  process.stderr.write('usage: node --import tsx tools/seed/duplicates-cli.ts --db URL [--people N] [--seed S] [--truth FILE]\n');
  process.exit(2);
}
const pool = openPool(values.db, { connectionLimit: 2 });
try {
  const w = await writeDuplicatePopulation(pool, { people: Number(values.people), seed: values.seed }, (l) => process.stdout.write(`${l}\n`));
  process.stdout.write(`wrote ${w.patients} patients, ${w.truth.length} of them second registrations (${w.truth.filter((p) => p.sameIdentifier).length} with the same national id)\n`);
  if (values.truth) writeFileSync(values.truth, w.truth.map((p) => `${p.a} ${p.b} ${p.sameIdentifier ? 'certain' : 'probable'}`).join('\n') + '\n');
} finally {
  await pool.end();
}
