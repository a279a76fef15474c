// The subscriber's retry queue in Redis, removed after the run.
import { Redis } from 'ioredis';

/** Removes the retry queue's keys (BullMQ's default prefix) once the subscriber is gone. */
export async function dropQueue(redisUrl: string, queue: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // a failed connect rejects connect(), which the clean-up reports
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${queue}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
