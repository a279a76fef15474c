// Waiting for a connection when the database server has none to give.
//
// A server shared by many processes (a district's clinics, the many-clinics bench, HQ beside its
// publishers) has fewer connections than their pools add up to. mysql2 fails a query at once when
// the server refuses a new connection (Too many connections); a request or a batch then fails
// although the pool may hold connections of its own that free up within milliseconds. So a pool
// opened here treats a refusal as the server telling it how many connections it may have:
// - with connections of its own open, it lowers its limit to those it has, and the caller waits
//   for one of them (mysql2's queue), as it does when the pool itself is full;
// - with none open, it asks the server again after a short, growing, jittered wait;
// - after `waitMs` of refusals it fails with the server's error, as before;
// - the limit climbs back by one connection for every 5 s without a refusal.
import type { Pool } from 'mysql2/promise';

/** Too many connections; the user's max_user_connections (two codes, by how it was set). */
export const SERVER_FULL_ERRNOS: ReadonlySet<number> = new Set([1040, 1203, 1226]);

export const isServerFullError = (err: unknown): boolean => SERVER_FULL_ERRNOS.has((err as { errno?: number } | null)?.errno ?? 0);

/** How long a caller waits for the server to take a connection, unless a pool says otherwise. */
export const DEFAULT_SERVER_FULL_WAIT_MS = 10_000;
const RAISE_EVERY_MS = 5_000;
const FIRST_RETRY_MS = 50;
const LONGEST_RETRY_MS = 1_000;

type Callback = (err: (Error & { errno?: number }) | null, conn?: unknown) => void;

/** The parts of mysql2's callback pool this relies on (lib/base/pool.js). */
interface CorePool {
  getConnection(cb: Callback): void;
  config: { connectionLimit: number };
  _allConnections: { length: number };
  _connectionQueue: Callback[];
  _closed: boolean;
}

/** Makes `pool` wait (up to `waitMs`) instead of failing when the server refuses a connection. */
export function waitWhenServerFull(pool: Pool, waitMs: number): void {
  const core = (pool as unknown as { pool: CorePool }).pool;
  const limit = core.config.connectionLimit;
  const original = core.getConnection.bind(core);
  let lastRefusal = 0;
  let lastRaise = 0;
  const raiseLimit = () => {
    const now = Date.now();
    if (core.config.connectionLimit >= limit || now - lastRefusal < RAISE_EVERY_MS || now - lastRaise < RAISE_EVERY_MS) return;
    core.config.connectionLimit++;
    lastRaise = now;
  };
  core.getConnection = (cb: Callback) => {
    const started = Date.now();
    const attempt = (tries: number): void => {
      raiseLimit();
      original((err, conn) => {
        if (!err || !isServerFullError(err) || core._closed || Date.now() - started >= waitMs) return cb(err, conn);
        lastRefusal = Date.now();
        const open = core._allConnections.length;
        if (open > 0) {
          core.config.connectionLimit = Math.min(core.config.connectionLimit, open);
          core._connectionQueue.push(cb);
          return;
        }
        const ms = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** tries) * (0.5 + Math.random());
        setTimeout(() => attempt(tries + 1), ms);
      });
    };
    attempt(0);
  };
}
