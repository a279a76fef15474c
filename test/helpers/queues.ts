// BullMQ queues a test made, removed from the shared Redis when it ends.
import { Redis } from 'ioredis';

export const TEST_REDIS = process.env.ATOMSYNC_TEST_REDIS ?? 'redis://127.0.0.1:6379';

/** Deletes every key of these queues (bull:{name}:*). */
export async function dropQueues(names: Iterable<string>, redisUrl = TEST_REDIS): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    for (const q of names) {
      const keys = await redis.keys(`bull:${q}:*`);
      if (keys.length) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
}
