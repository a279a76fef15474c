// `atomsync snapshot`: publishes the existing rows of a node's database (again), e.g.
// after a restore from backup, and waits until they are numbered events. Safe while the
// publisher runs: the two share the work chunk by chunk and publish nothing twice.
import { LOG_LEVEL_OPT, UsageError } from '../shared/cli/args.ts';
import type { Command, Io } from '../shared/cli/args.ts';
import { openPool, queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { createLogger } from '../shared/logger.ts';
import type { Level, Logger } from '../shared/logger.ts';
import { loadRegistry } from '../shared/registry.ts';
import type { Registry } from '../shared/registry.ts';
import { isResourceName } from '../shared/resources.ts';
import type { ResourceName } from '../shared/resources.ts';
import { readMeta } from '../shared/schema/migrate.ts';
import { readSnapshotStates, requestSnapshot } from '../shared/schema/snapshot-state.ts';
import { explainDbError } from '../shared/start-errors.ts';
import { Relay } from './relay.ts';
import { SnapshotWorker, percentDone } from './snapshot.ts';

export const snapshotCommand: Command = {
  name: 'snapshot',
  summary: "publish the existing rows of this node's database (again), e.g. after a restore from backup",
  usage: 'atomsync snapshot --db mysql://root@127.0.0.1:3306/field_a [--resource patient ...]',
  options: [
    { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: "this node's database (migrated)" },
    {
      name: 'resource',
      type: 'string',
      multiple: true,
      env: 'ATOMSYNC_SNAPSHOT_RESOURCES',
      arg: 'NAME',
      help: 'only this resource (repeatable; default: every resource with rows)',
    },
    { name: 'request-only', type: 'boolean', env: 'ATOMSYNC_SNAPSHOT_REQUEST_ONLY', help: 'only record the request; the running publisher does the work' },
    LOG_LEVEL_OPT,
  ],
  notes:
    '`atomsync migrate` requests a snapshot by itself when it adopts a database that already holds\n' +
    'rows. Each run publishes every row of the chosen resources once, in dependency order, in short\n' +
    'transactions beside the clinic\'s own writes; killed, it continues where it stopped. Progress\n' +
    "shows here, in the publisher's log, on its root page and in /metrics.",
  async run(args, io) {
    const log = createLogger({ level: String(args['log-level']) as Level, bindings: { service: 'snapshot' } });
    const pool = openPool(String(args.db), { connectionLimit: 4 });
    let relay: Relay | null = null;
    let relayRun: Promise<void> | null = null;
    try {
      const meta = await readMeta(pool).catch((err) => {
        throw explainDbError(err, String(args.db));
      });
      if (!meta.node_id) throw new Error('this database has no node id; run `atomsync migrate --node-id ...` first');
      const registry = await loadRegistry(pool);
      const resources = resourcesAsked((args.resource as string[] | undefined) ?? [], registry);
      await requestSnapshot(pool, resources);
      if (args['request-only']) {
        io.out(`snapshot requested for ${resources.join(', ')}; the publisher of this database publishes it`);
        return 0;
      }
      // Our own relay numbers what we write, unless the publisher's holds the lock (then it does).
      relay = new Relay(pool, log.child({ part: 'relay' }), { nodeId: meta.node_id });
      relayRun = relay.run();
      const started = Date.now();
      const stopped = await publishRows(pool, registry, log, meta.node_id, io);
      const states = (await readSnapshotStates(pool, registry)).filter((s) => resources.includes(s.resource));
      if (stopped() || states.some((s) => s.status !== 'done')) {
        io.err('snapshot: stopped before the end; run it again (or start the publisher) to continue where it stopped');
        return 1;
      }
      await waitForRelay(pool, io, stopped);
      const rows = states.reduce((a, s) => a + s.rowsDone, 0);
      io.out(`snapshot done: ${rows} rows of ${states.length} resources published in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    } finally {
      relay?.stop();
      await relayRun;
      await pool.end().catch(() => undefined);
    }
  },
};

/** The resources --resource names, checked against this database; every resource it has when none is named. */
function resourcesAsked(asked: string[], registry: Registry): ResourceName[] {
  for (const r of asked) {
    if (!isResourceName(r)) throw new UsageError(`--resource ${r} is not a resource (one of ${registry.names.join(', ')})`);
    if (!registry.has(r)) throw new UsageError(`--resource ${r}: this database has no table for it`);
  }
  return asked.length > 0 ? (asked as ResourceName[]) : [...registry.names];
}

/** Runs the snapshot worker, with a progress line a second, until it is done or stopped; answers whether a stop was asked for. */
async function publishRows(pool: Pool, registry: Registry, log: Logger, nodeId: string, io: Io): Promise<() => boolean> {
  let lastLine = 0;
  const worker = new SnapshotWorker(pool, registry, log, {
    nodeId,
    idleCheckMs: 0,
    onProgress: (p) => {
      if (!p.done && Date.now() - lastLine < 1000) return;
      lastLine = Date.now();
      io.out(`snapshot: ${p.resource} ${p.rowsDone}/${p.rowsTotal} rows (${percentDone(p)}%)${p.done ? ' done' : ''}`);
    },
  });
  let stopRequested = false;
  void io.stopSignal.then(() => {
    stopRequested = true;
    worker.stop();
  });
  await worker.run();
  return () => stopRequested;
}

/** Done when every outbox row written so far has been numbered as an event. */
async function waitForRelay(pool: Pool, io: Io, stopped: () => boolean): Promise<void> {
  const [{ m }] = await queryRows<{ m: number | null }>(pool, 'SELECT MAX(id) AS m FROM atomsync_outbox');
  if (m === null) return;
  while (!stopped()) {
    const [{ n }] = await queryRows<{ n: number }>(pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox WHERE id <= ?', [m]);
    if (Number(n) === 0) break;
    io.out(`snapshot: waiting for the relay to number ${n} more events`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
