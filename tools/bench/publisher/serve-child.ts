// Child process of the publisher benchmark: runs one Publisher (no relay) and
// answers usage questions over IPC, so the server has an event loop of its own
// and its CPU time can be told apart from the load generator's.
import { performance } from 'node:perf_hooks';
import { Publisher } from '../../../publisher/publisher.ts';
import { silentLogger } from '../../../shared/logger.ts';
import type { ChildRequest, ChildReply, ServeOptions } from './server.ts';

let publisher: Publisher | null = null;

const reply = (m: ChildReply) => process.send!(m);

async function start(o: ServeOptions): Promise<void> {
  publisher = new Publisher(
    { dbUrl: o.dbUrl, port: 0, host: '127.0.0.1', users: new Map(o.users), pageSize: o.pageSize, noRelay: true },
    silentLogger,
  );
  const url = await publisher.start();
  reply({ type: 'ready', url });
}

async function stop(code: number): Promise<never> {
  await publisher?.stop().catch(() => undefined);
  process.exit(code);
}

process.on('message', (m: ChildRequest) => {
  if (m.type === 'start') start(m.options).catch((err) => reply({ type: 'error', message: (err as Error).message }));
  else if (m.type === 'usage') reply({ type: 'usage', usage: { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization() } });
  else if (m.type === 'stop') void stop(0);
});
// The parent went away (finished, crashed or killed): never outlive it.
process.on('disconnect', () => void stop(1));
