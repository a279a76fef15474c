// How OpenMRS (Java, locale en_GB, the server's zone: UTC here) writes values into
// display strings. Pure functions, each named for the Java it stands in for.

/**
 * DecimalFormat("#0.0#####") in an English locale, as Obs.getValueAsString writes a decimal:
 * at least one and at most six fraction digits, HALF_EVEN rounding, no grouping:
 * 50 → "50.0", 37.25 → "37.25", 0.1234567 → "0.123457", 1e7 → "10000000.0".
 */
export function javaDecimal(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '∞' : n < 0 ? '-∞' : 'NaN'; // DecimalFormat's own symbols
  const neg = n < 0 || Object.is(n, -0);
  const [int, frac] = roundHalfEven(Math.abs(n), 6);
  const trimmed = frac.replace(/0+$/, '');
  const out = `${int}.${trimmed === '' ? '0' : trimmed}`;
  return neg && out !== '0.0' ? `-${out}` : out;
}

/** The decimal expansion of x rounded half-even to `digits` places, as [integer, fraction] digit strings. */
function roundHalfEven(x: number, digits: number): [string, string] {
  // toFixed(20) gives the exact binary value's expansion (as DecimalFormat rounds the double's
  // exact value); a number of 1e21 or more is written by toFixed in exponent form, but is an integer.
  if (x >= 1e21) return [BigInt(x).toString(), '0'.repeat(digits)];
  const [i, f = ''] = x.toFixed(20).split('.');
  const kept = f.slice(0, digits);
  const rest = f.slice(digits);
  let n = BigInt(i + kept);
  const half = rest[0] > '5' || (rest[0] === '5' && /[1-9]/.test(rest.slice(1)));
  const tie = rest[0] === '5' && !/[1-9]/.test(rest.slice(1));
  if (half || (tie && n % 2n === 1n)) n += 1n;
  const s = n.toString().padStart(digits + 1, '0');
  return [s.slice(0, s.length - digits), s.slice(s.length - digits)];
}

/** (int) d, as Obs.getValueAsString writes the value of a concept that allows no decimals. */
export const javaIntCast = (n: number): string => String(Math.trunc(n));

// Stored values come as 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' (UTC); the display formats need their parts.
const PARTS = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?/;

/** An OpenMRS REST datetime ('2016-03-09T14:47:58.000+0000') or a stored one, in parts. */
function parts(v: string): { y: string; mo: string; d: string; h: string; mi: string; s: string } | null {
  const m = PARTS.exec(v);
  return m ? { y: m[1], mo: m[2], d: m[3], h: m[4] ?? '00', mi: m[5] ?? '00', s: m[6] ?? '00' } : null;
}

/** Context.getDateFormat() for en_GB: dd/MM/yyyy. */
export function ddMMyyyy(v: string | null | undefined): string | null {
  const p = v ? parts(v) : null;
  return p ? `${p.d}/${p.mo}/${p.y}` : null;
}

/** Context.getDateTimeFormat() for en_GB: dd/MM/yyyy HH:mm. */
export function ddMMyyyyHHmm(v: string | null | undefined): string | null {
  const p = v ? parts(v) : null;
  return p ? `${p.d}/${p.mo}/${p.y} ${p.h}:${p.mi}` : null;
}

/** HH:mm, the TIME format of an obs whose concept is a Time. */
export function HHmm(v: string | null | undefined): string | null {
  const p = v ? parts(v) : null;
  return p ? `${p.h}:${p.mi}` : null;
}

/** yyyy-MM-dd, as ObsResource writes the value of a Date concept. */
export function yyyyMMdd(v: string | null | undefined): string | null {
  const p = v ? parts(v) : null;
  return p ? `${p.y}-${p.mo}-${p.d}` : null;
}

/**
 * Person.getAge(): whole years from the birthdate to today, or to the death date when the
 * person died before today. `today` is passed in (YYYY-MM-DD, UTC) so the result is testable.
 */
export function ageOn(birthdate: string | null | undefined, deathDate: string | null | undefined, today: string): number | null {
  const b = birthdate ? parts(birthdate) : null;
  if (!b) return null;
  let end = parts(today)!;
  const dd = deathDate ? parts(deathDate) : null;
  if (dd && `${dd.y}${dd.mo}${dd.d}` < `${end.y}${end.mo}${end.d}`) end = dd;
  let age = Number(end.y) - Number(b.y);
  if (`${end.mo}${end.d}` < `${b.mo}${b.d}`) age--;
  return age;
}

/**
 * Double.toString(d), as StringBuilder.append(Double) writes a drug order's dose: the shortest
 * digits that give the double back, at least one after the point ("1.0", "0.5"), and from 10^7
 * up or below 10^-3 in Java's exponent form ("1.0E7", "2.5E-4").
 */
export function javaDouble(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(n);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(n);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exp] = n.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exp)}`;
}
