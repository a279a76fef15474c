// Database times are UTC strings ('YYYY-MM-DD HH:MM:SS[.fff]'); these turn them into wire formats.

/** '2026-01-02 03:04:05.6' -> '2026-01-02T03:04:05.600Z' (RFC 3339, as Atom requires). */
export function dbToIso(db: string): string {
  const [date, time = '00:00:00'] = db.split(' ');
  const [hms, frac = ''] = time.split('.');
  return `${date}T${hms}.${(frac + '000').slice(0, 3)}Z`;
}

/** ISO 8601 with any offset -> MariaDB UTC string with milliseconds. */
export function isoToDb(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`not a date: ${JSON.stringify(iso)}`);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
