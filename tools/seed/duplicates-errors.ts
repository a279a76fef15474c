// The errors a second registration of the same person carries, each a small pure function of a
// seeded Rng: a clerk's typo, names written the other way round, a nickname, a birth date with
// day and month swapped or a digit wrong, an estimated age, a field left empty, a move.
import type { Rng } from './rng.ts';
import { NICKNAMES } from './duplicates-names.ts';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** One edit: a letter substituted, dropped, doubled or two adjacent letters transposed. */
export function typo(rng: Rng, s: string): string {
  if (s.length < 3) return s;
  const i = rng.int(1, s.length - 2);
  switch (rng.int(0, 3)) {
    case 0: return s.slice(0, i) + rng.pick([...LETTERS]) + s.slice(i + 1);
    case 1: return s.slice(0, i) + s.slice(i + 1);
    case 2: return s.slice(0, i) + s[i] + s.slice(i);
    default: return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
  }
}

/** How the same name may be typed differently without being wrong: case, spaces, a hyphen. */
export function reformat(rng: Rng, s: string): string {
  switch (rng.int(0, 2)) {
    case 0: return s.toUpperCase();
    case 1: return ` ${s.toLowerCase()} `;
    default: return s.length > 5 ? `${s.slice(0, 3)}-${s.slice(3).toLowerCase()}` : s.toLowerCase();
  }
}

export function nickname(rng: Rng, given: string): string | null {
  const options = NICKNAMES[given];
  return options ? rng.pick(options) : null;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** 'YYYY-MM-DD' with day and month swapped, or null when the day cannot be a month. */
export function swapDayMonth(date: string): string | null {
  const [y, m, d] = date.split('-');
  return Number(d) <= 12 && d !== m ? `${y}-${d}-${m}` : null;
}

/** One digit of the day or the year's last digit mistyped, kept a valid date. */
export function digitSlip(rng: Rng, date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  if (rng.chance(0.5)) {
    const day = Math.min(28, Math.max(1, (d % 10 === 0 ? d + 1 : d - 1)));
    return `${y}-${pad(m)}-${pad(day)}`;
  }
  const year = y - (y % 10) + ((y % 10) + rng.int(1, 8)) % 10;
  return `${year}-${pad(m)}-${pad(d)}`;
}

/** An age guessed at the second clinic: a 1 January or 1 July date, a year either side. */
export function estimatedDate(rng: Rng, date: string): string {
  const y = Number(date.slice(0, 4)) + rng.int(-1, 1);
  return `${y}-${rng.pick(['01-01', '07-01'])}`;
}
