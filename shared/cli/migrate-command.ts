import { ensureDatabase, openPool } from '../db.ts';
import { migrate } from '../schema/migrate.ts';
import { explainDbError } from '../start-errors.ts';
import { dbUrlArg } from './args.ts';
import type { Command } from './args.ts';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'create the OpenMRS tables, sync tables and change-capture triggers (idempotent)',
  usage: 'atomsync migrate --db mysql://root@127.0.0.1:3306/field_a --node-id field-a',
  options: [
    { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: "this node's database; created if missing" },
    { name: 'node-id', type: 'string', env: 'ATOMSYNC_NODE_ID', required: true, arg: 'ID', help: 'name of this node, carried by every event it originates' },
    {
      name: 'no-snapshot',
      type: 'boolean',
      env: 'ATOMSYNC_NO_SNAPSHOT',
      help: "do not publish the rows this database already holds (its history); only changes from now on",
    },
  ],
  notes:
    'On a database that already holds OpenMRS tables only the sync tables and triggers are added.\n' +
    'Running it again changes nothing. The node id is fixed once set. On the first run over a\n' +
    'database that already holds rows, a snapshot is requested: the publisher then publishes every\n' +
    'existing row once (see `atomsync snapshot`), unless --no-snapshot.',
  async run(args, io) {
    const url = dbUrlArg(args);
    await ensureDatabase(url).catch((err: unknown) => {
      throw explainDbError(err, url);
    });
    const pool = openPool(url, { connectionLimit: 2 });
    try {
      const report = await migrate(pool, String(args['node-id']), { snapshot: !args['no-snapshot'] });
      if (report.changes.length === 0) io.out(`node ${report.nodeId}: already up to date`);
      else io.out(`node ${report.nodeId}: ${report.changes.length} changes\n  ${report.changes.join('\n  ')}`);
      return 0;
    } finally {
      await pool.end();
    }
  },
};
