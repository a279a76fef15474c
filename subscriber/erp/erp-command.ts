// `atomsync erp`: a subscriber whose sink is the ERP. Same feeds, markers,
// retries and dead letters as `atomsync subscribe`, in the ERP's own database.
import { dbUrlArg } from '../../shared/cli/args.ts';
import type { Command, Opt } from '../../shared/cli/args.ts';
import { ensureDatabase, openPool } from '../../shared/db.ts';
import { createLogger } from '../../shared/logger.ts';
import type { Level } from '../../shared/logger.ts';
import { migrateSyncTables } from '../../shared/schema/migrate.ts';
import { explainDbError } from '../../shared/start-errors.ts';
import { readingArgs, runSubscriber, subscribeCommand } from '../cli.ts';
import { Subscriber } from '../subscriber.ts';
import { ERP_RESOURCES, ErpSink } from './erp-sink.ts';

/** subscribe's options that mean the same here (batching and audit users do not apply to the ERP). */
const SHARED = ['redis', 'feed', 'credentials', 'allow-origin', 'once', 'poll-ms', 'long-poll-s', 'timeout-ms', 'max-attempts', 'retry-base-ms', 'retry-max-ms', 'queue', 'log-level'];
const shared = (name: string): Opt => {
  const o = subscribeCommand.options.find((x) => x.name === name);
  if (!o) throw new Error(`subscribe has no --${name} option`);
  return o;
};

export const erpCommand: Command = {
  name: 'erp',
  summary: `feed an ERP database (customers, orders, order lines) from clinics' ${ERP_RESOURCES.join(', ')} feeds`,
  usage:
    'atomsync erp --db mysql://root@127.0.0.1:3306/erp --node-id erp --credentials erp:secret ' +
    '--feed http://127.0.0.1:8081/openmrs/ws/atomfeed/patient/recent --feed .../encounter/recent --feed .../obs/recent ' +
    '--feed .../order/recent --feed .../drug/recent',
  options: [
    { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: "the ERP's database; created if missing, with the ERP and sync tables" },
    { name: 'node-id', type: 'string', env: 'ATOMSYNC_NODE_ID', default: 'erp', arg: 'ID', help: 'name of this subscriber, fixed once set in its database' },
    ...SHARED.map(shared),
  ],
  notes:
    'Read the patient, encounter, obs, order and drug feeds of each clinic: patients become customers, encounters\n' +
    'orders, coded obs and drug and test orders order lines (a revised, discontinued or voided order has none).\n' +
    'Events of other resources are skipped. Runs until SIGINT/SIGTERM, or once with --once.',
  async run(args, io) {
    const log = createLogger({ level: String(args['log-level']) as Level, bindings: { service: 'erp' } });
    const url = dbUrlArg(args);
    const nodeId = String(args['node-id']);
    const reading = readingArgs(args); // every option checked before the database is touched
    const setupFailed = (err: unknown) => {
      throw explainDbError(err, url);
    };
    await ensureDatabase(url).catch(setupFailed);
    const setup = openPool(url, { connectionLimit: 2 });
    try {
      await migrateSyncTables(setup, nodeId).catch(setupFailed); // markers, inbox and the node id; the ERP tables come with the sink
    } finally {
      await setup.end();
    }
    const sub = new Subscriber(
      { dbUrl: url, nodeId, ...reading, sink: (pool, l) => ErpSink.create(pool, l.child({ part: 'erp-sink' })) },
      log,
    );
    return runSubscriber(sub, Boolean(args.once), io, log);
  },
};
