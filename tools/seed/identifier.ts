// Patient identifiers shaped like the Reference Application's "OpenMRS ID":
// base-30 characters (no B, I, O, Q, S, Z, which read like digits) ending in a
// Luhn mod-30 check digit, as idgen's LuhnMod30IdentifierValidator expects.
import { createHash } from 'node:crypto';

export const BASE30_CHARS = '0123456789ACDEFGHJKLMNPRTUVWXY';
/** Characters of the sequence part; 30^4 = 810,000 patients per node before it widens. */
export const SEQUENCE_WIDTH = 4;

export function toBase30(n: number, width = 1): string {
  if (!Number.isInteger(n) || n < 0) throw new Error(`cannot write ${n} in base 30`);
  let s = '';
  do {
    s = BASE30_CHARS[n % 30] + s;
    n = Math.floor(n / 30);
  } while (n > 0);
  return s.padStart(width, '0');
}

/** The Luhn mod-N check character over base-30 `body`. */
export function luhnMod30(body: string): string {
  const n = BASE30_CHARS.length;
  let factor = 2;
  let sum = 0;
  for (let i = body.length - 1; i >= 0; i--) {
    const code = BASE30_CHARS.indexOf(body[i]);
    if (code < 0) throw new Error(`"${body[i]}" is not a base-30 identifier character`);
    let addend = factor * code;
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / n) + (addend % n);
    sum += addend;
  }
  return BASE30_CHARS[(n - (sum % n)) % n];
}

export function isValidOpenmrsId(id: string): boolean {
  return id.length > 1 && [...id].every((ch) => BASE30_CHARS.includes(ch)) && luhnMod30(id.slice(0, -1)) === id.slice(-1);
}

/**
 * Two base-30 characters naming the node, so identifiers issued by different
 * clinics rarely clash once they meet at HQ (idgen gives each site a prefix too).
 */
export function nodePrefix(nodeId: string): string {
  const h = createHash('sha1').update(nodeId, 'utf8').digest();
  return toBase30(h.readUInt16BE(0) % (30 * 30), 2);
}

/**
 * The OpenMRS ID of the `sequence`-th patient of a node. The sequence is the
 * patient's person_id: unique on the node and known right after the insert.
 */
export function openmrsId(prefix: string, sequence: number): string {
  const body = prefix + toBase30(sequence, SEQUENCE_WIDTH);
  return body + luhnMod30(body);
}

/** A paper register number such as `OPD/2025/0153`. */
export function registerNumber(register: string, year: number, entry: number): string {
  return `${register}/${year}/${String(entry).padStart(4, '0')}`;
}
