import { openPool } from '../../shared/db.ts';
import { explainDbError } from '../../shared/start-errors.ts';
import { seedNode } from './index.ts';
import type { Command } from '../../shared/cli/args.ts';
import { intArg } from '../../shared/cli/args.ts';

export const seedCommand: Command = {
  name: 'seed',
  summary: 'fill a migrated node with realistic, deterministic OpenMRS data',
  usage: 'atomsync seed --db mysql://root@127.0.0.1:3306/field_a --patients 200 --seed 1',
  options: [
    { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: "the node's database (run migrate first)" },
    { name: 'patients', type: 'string', env: 'ATOMSYNC_PATIENTS', default: '100', arg: 'N', help: 'patients to create, each with ~3 encounters of 10-30 obs' },
    { name: 'seed', type: 'string', env: 'ATOMSYNC_SEED', default: '1', arg: 'S', help: 'the same seed on the same node gives the same data' },
    {
      name: 'node-id',
      type: 'string',
      env: 'ATOMSYNC_NODE_ID',
      arg: 'ID',
      help: 'seed an OpenMRS database before atomsync adopts it (history, no events); checked against a migrated one',
    },
  ],
  notes:
    'Metadata (identifier, encounter and visit types, concepts) has the same uuids on every node;\n' +
    'clinical rows get uuids of their own per node. Seeding again with the same seed adds nothing.',
  async run(args, io) {
    const patients = intArg(args, 'patients', 0, 10_000_000);
    const pool = openPool(String(args.db), { connectionLimit: 4 });
    const isTty = Boolean(process.stderr.isTTY);
    let lastPrint = 0;
    try {
      const report = await seedNode(pool, {
        patients,
        seed: String(args.seed),
        nodeId: args['node-id'] as string | undefined,
        onProgress: (done, total) => {
          const now = Date.now();
          if (done < total && now - lastPrint < (isTty ? 200 : 5000)) return;
          lastPrint = now;
          const line = `seeding: ${done}/${total} patients (${total ? Math.floor((100 * done) / total) : 100}%)`;
          if (isTty) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
          else io.err(line);
        },
      }).catch((err) => {
        throw explainDbError(err, String(args.db));
      });
      io.out(
        `node ${report.nodeId}: ${report.patients} patients written (${report.skippedPatients} already there), ` +
          `${report.rows} rows in ${(report.elapsedMs / 1000).toFixed(1)} s (${Math.round(report.rowsPerSecond)} rows/s)`,
      );
      return 0;
    } finally {
      await pool.end();
    }
  },
};
