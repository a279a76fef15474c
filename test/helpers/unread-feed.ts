// HQ's `atomsync subscribe --http-port 0` with one feed that nobody answers (a port just
// closed): the setting of the status page's "never read" tests (HTTP and browser).
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { migrate } from '../../shared/schema/migrate.ts';
import { freshDatabase } from './db.ts';
import { atomsync, waitForOutput } from './processes.ts';
import { ADMIN, REDIS } from './status-scenario.ts';

export interface UnreadFeed {
  /** The status page, e.g. http://127.0.0.1:40123/ */
  url: string;
  /** The feed key, as the status page names it. */
  feed: string;
  cleanUp(): Promise<void>;
}

/** A port that was free a moment ago: nothing listens there, so a connection is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startUnreadFeed(name: string): Promise<UnreadFeed> {
  const queue = `atomsync-test-${name}-${process.pid}-${Date.now()}`;
  const hq = await freshDatabase(`${name}_hq`);
  let sub: ReturnType<typeof atomsync> | undefined;
  const cleanUp = async () => {
    await sub?.stop('SIGKILL');
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`bull:${queue}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await hq.drop();
  };
  try {
    await migrate(hq.pool, 'hq');
    const feed = `http://127.0.0.1:${await closedPort()}/openmrs/ws/atomfeed/all/recent`;
    sub = atomsync([
      'subscribe', '--db', hq.url, '--node-id', 'hq', '--redis', REDIS, '--queue', queue,
      '--feed', feed.replace('http://', 'http://hq:hq-secret@'), '--poll-ms', '200',
      '--http-port', '0', '--admin-users', `${ADMIN.username}:${ADMIN.password}`,
    ]);
    const url = await waitForOutput(sub, /^status page at (http:\/\/127\.0\.0\.1:[0-9]+\/)$/m, 30_000);
    return { url, feed, cleanUp };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}
