// Dates travel to MariaDB as UTC strings 'YYYY-MM-DD HH:MM:SS' (see shared/db.ts),
// so generated times are Dates in UTC, formatted here and nowhere else.
import type { Rng } from './rng.ts';

export const MS_PER_MINUTE = 60_000;
export const MS_PER_DAY = 86_400_000;

/** Clinic opening hours in UTC; most OpenMRS sites are in UTC+0 to UTC+3. */
export const CLINIC_OPEN_HOUR_UTC = 5;
export const CLINIC_CLOSE_HOUR_UTC = 15;

export function sqlDatetime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

export function sqlDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function parseSqlDatetime(s: string): Date {
  return new Date(`${s.replace(' ', 'T')}Z`);
}

export function addMinutes(d: Date, minutes: number): Date {
  return new Date(d.getTime() + minutes * MS_PER_MINUTE);
}

export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * MS_PER_DAY);
}

/** Midnight UTC of the day `d` falls on. */
export function startOfDay(d: Date): Date {
  return new Date(Math.floor(d.getTime() / MS_PER_DAY) * MS_PER_DAY);
}

/** A random minute within clinic hours on the day `day` falls on. */
export function clinicTime(rng: Rng, day: Date): Date {
  const minutes = rng.int(CLINIC_OPEN_HOUR_UTC * 60, CLINIC_CLOSE_HOUR_UTC * 60 - 1);
  return addMinutes(startOfDay(day), minutes);
}

/** A random time between `from` and `to` (to must be later), in whole minutes. */
export function timeBetween(rng: Rng, from: Date, to: Date): Date {
  const span = Math.max(0, Math.floor((to.getTime() - from.getTime()) / MS_PER_MINUTE));
  return addMinutes(from, rng.int(0, span));
}
