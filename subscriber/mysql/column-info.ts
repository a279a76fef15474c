// Column sizes of the local schema, read once, so an over-long string from a
// feed is refused with a clear error instead of being cut or failing mid-write.
import { queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';

export interface ColumnInfo {
  dataType: string;
  /** Characters for VARCHAR/CHAR, bytes for TEXT types, null for others. */
  maxLength: number | null;
  /** The column alone is a unique key (a uuid column an upsert can rely on). */
  unique?: boolean;
}

export type ColumnMap = Map<string, Map<string, ColumnInfo>>;

export async function loadColumnInfo(pool: Pool): Promise<ColumnMap> {
  const rows = await queryRows<{ t: string; c: string; dt: string; len: number | null }>(
    pool,
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, DATA_TYPE AS dt, CHARACTER_MAXIMUM_LENGTH AS len
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()`,
  );
  // Single-column unique keys: OpenMRS has one on almost every uuid column, not on allergy's.
  const unique = await queryRows<{ t: string; c: string }>(
    pool,
    `SELECT s.TABLE_NAME AS t, MAX(s.COLUMN_NAME) AS c FROM information_schema.STATISTICS s
     WHERE s.TABLE_SCHEMA = DATABASE() AND s.NON_UNIQUE = 0
     GROUP BY s.TABLE_NAME, s.INDEX_NAME HAVING COUNT(*) = 1`,
  );
  const out: ColumnMap = new Map();
  for (const r of rows) {
    if (!out.has(r.t)) out.set(r.t, new Map());
    out.get(r.t)!.set(r.c, { dataType: r.dt.toLowerCase(), maxLength: r.len == null ? null : Number(r.len) });
  }
  for (const u of unique) {
    const info = out.get(u.t)?.get(u.c);
    if (info) info.unique = true;
  }
  return out;
}

const BYTE_LIMITED = new Set(['tinytext', 'text', 'mediumtext', 'longtext']);

/** Says why a value does not fit its column, or null when it fits. */
export function misfit(info: ColumnInfo | undefined, v: unknown): string | null {
  if (!info || typeof v !== 'string' || info.maxLength === null) return null;
  if (BYTE_LIMITED.has(info.dataType)) {
    const bytes = Buffer.byteLength(v, 'utf8');
    return bytes > info.maxLength ? `${bytes} bytes, the column holds ${info.maxLength}` : null;
  }
  const chars = [...v].length;
  return chars > info.maxLength ? `${chars} characters, the column holds ${info.maxLength}` : null;
}
