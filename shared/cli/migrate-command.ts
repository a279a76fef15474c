import { ensureDatabase, openPool } from '../db.ts';
import { migrate } from '../schema/migrate.ts';
import type { Command } from './args.ts';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'create the OpenMRS tables, sync tables and change-capture triggers (idempotent)',
  usage: 'atomsync migrate --db mysql://root@127.0.0.1:3306/field_a --node-id field-a',
  options: [
    { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: "this node's database; created if missing" },
    { name: 'node-id', type: 'string', env: 'ATOMSYNC_NODE_ID', required: true, arg: 'ID', help: 'name of this node, carried by every event it originates' },
  ],
  notes:
    'On a database that already holds OpenMRS tables only the sync tables and triggers are added.\n' +
    'Running it again changes nothing. The node id is fixed once set.',
  async run(args, io) {
    const url = String(args.db);
    await ensureDatabase(url);
    const pool = openPool(url, { connectionLimit: 2 });
    try {
      const report = await migrate(pool, String(args['node-id']));
      if (report.changes.length === 0) io.out(`node ${report.nodeId}: already up to date`);
      else io.out(`node ${report.nodeId}: ${report.changes.length} changes\n  ${report.changes.join('\n  ')}`);
      return 0;
    } finally {
      await pool.end();
    }
  },
};
