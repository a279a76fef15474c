import { Relay } from '../../publisher/relay.ts';
import { silentLogger } from '../../shared/logger.ts';
import type { Pool } from '../../shared/db.ts';

/** Moves everything committed in the outbox into the event log, synchronously for a test. */
export async function drainOutbox(pool: Pool, nodeId = 'field-a', batchSize = 500): Promise<number> {
  const relay = new Relay(pool, silentLogger, { nodeId, batchSize });
  const conn = await pool.getConnection();
  try {
    await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    let total = 0;
    for (;;) {
      const n = await relay.tick(conn);
      total += n;
      if (n === 0) return total;
    }
  } finally {
    conn.release();
  }
}

export const insertLocationSql = `INSERT INTO location (name, creator, date_created, uuid) VALUES (?, 1, UTC_TIMESTAMP(), UUID())`;
