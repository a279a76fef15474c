// String comparators and normalisation for matching people: pure functions, no dependencies.
// Jaro-Winkler suits short names (a typo or a transposition near the end costs little);
// Levenshtein counts edits, used where a fixed edit budget reads better (house numbers).

/** Lower case, accents and other marks removed, only letters and digits kept (apostrophe-like modifier letters dropped): "Mary-Jane  Ölund" -> "maryjaneolund". */
export function normaliseName(s: string | null | undefined): string {
  if (!s) return '';
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]|\p{Lm}/gu, '');
}

/** Like normaliseName but keeps single spaces between words: for addresses, where words matter. */
export function normaliseText(s: string | null | undefined): string {
  if (!s) return '';
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** Only the digits, and at most the last 9 (drops country codes and the trunk 0: +254 712... = 0712...). */
export function normalisePhone(s: string | null | undefined): string {
  if (!s) return '';
  const digits = s.replace(/\D/g, '');
  return digits.length < 6 ? '' : digits.slice(-9);
}

/** Levenshtein edit distance (insert, delete, substitute each cost 1), two rows of memory. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** Jaro similarity in [0, 1]: matching characters within a window, half the transpositions counted. */
export function jaro(a: string, b: string): number {
  if (a === b) return a.length === 0 ? 0 : 1;
  if (a.length === 0 || b.length === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const aMatched = new Uint8Array(a.length);
  const bMatched = new Uint8Array(b.length);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    const lo = Math.max(0, i - window);
    const hi = Math.min(b.length - 1, i + window);
    for (let j = lo; j <= hi; j++) {
      if (bMatched[j] || a.charCodeAt(i) !== b.charCodeAt(j)) continue;
      aMatched[i] = 1;
      bMatched[j] = 1;
      matches++;
      break;
    }
  }
  if (matches === 0) return 0;
  let k = 0;
  let transposed = 0;
  for (let i = 0; i < a.length; i++) {
    if (!aMatched[i]) continue;
    while (!bMatched[k]) k++;
    if (a.charCodeAt(i) !== b.charCodeAt(k)) transposed++;
    k++;
  }
  const t = transposed / 2;
  return (matches / a.length + matches / b.length + (matches - t) / matches) / 3;
}

/** Jaro-Winkler: Jaro raised for a common prefix of up to 4 characters (scale 0.1), as Winkler defined it. */
export function jaroWinkler(a: string, b: string): number {
  const j = jaro(a, b);
  let prefix = 0;
  const max = Math.min(4, a.length, b.length);
  while (prefix < max && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  return j + prefix * 0.1 * (1 - j);
}

const SOUNDEX_CODES: Record<string, string> = {
  b: '1', f: '1', p: '1', v: '1',
  c: '2', g: '2', j: '2', k: '2', q: '2', s: '2', x: '2', z: '2',
  d: '3', t: '3', l: '4', m: '5', n: '5', r: '6',
};

/**
 * American Soundex of a normalised name ("otieno" -> "O350"); for blocking only. A name with no
 * Latin letter (another script) keys on its first three characters instead.
 */
export function soundex(name: string): string {
  const letters = name.replace(/[^a-z]/g, '');
  if (letters.length === 0) return name.slice(0, 3);
  let out = letters[0].toUpperCase();
  let last = SOUNDEX_CODES[letters[0]] ?? '';
  for (let i = 1; i < letters.length && out.length < 4; i++) {
    const c = letters[i];
    const code = SOUNDEX_CODES[c] ?? '';
    if (code && code !== last) out += code;
    // h and w do not separate letters of the same code; vowels do.
    if (c !== 'h' && c !== 'w') last = code;
  }
  return out.padEnd(4, '0');
}
