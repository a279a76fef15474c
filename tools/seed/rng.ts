// A small seeded random source. Math.random cannot be seeded, and the seed
// generator promises that the same --seed gives the same names, values and
// dates, so every random choice goes through an Rng built from a string key.
import { createHash } from 'node:crypto';

/** Separator between the parts of a key; cannot appear in a node id or a number. */
const KEY_SEPARATOR = '\u001f';

/** Rounds of the generator thrown away after seeding, as sfc32's authors advise. */
const WARM_UP_ROUNDS = 12;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  /** Builds a generator from key parts, e.g. `Rng.from(seed, nodeId, 'patient', 17)`. */
  static from(...parts: Array<string | number>): Rng {
    return new Rng(parts.join(KEY_SEPARATOR));
  }

  constructor(readonly key: string) {
    // sha256 spreads similar keys (patient 17, patient 18) over unrelated states.
    const h = createHash('sha256').update(key, 'utf8').digest();
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12);
    for (let i = 0; i < WARM_UP_ROUNDS; i++) this.next();
  }

  /** An independent generator for a sub-task; its draws do not depend on how far this one has run. */
  fork(...label: Array<string | number>): Rng {
    return Rng.from(this.key, ...label);
  }

  /** Uniform in [0, 1). sfc32: fast, 128 bits of state, passes PractRand. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both ends included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Uniform in [min, max), rounded to `decimals` places. */
  float(min: number, max: number, decimals = 1): number {
    return round(min + this.next() * (max - min), decimals);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('cannot pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks by weight: `weighted([['a', 3], ['b', 1]])` gives 'a' three times as often. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1][0];
  }

  /** `count` distinct items in random order (all of them when there are fewer). */
  sample<T>(items: readonly T[], count: number): T[] {
    const copy = items.slice();
    const n = Math.min(count, copy.length);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.next() * (copy.length - i));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, n);
  }

  /** Normally distributed (Box-Muller); clinical values cluster around a mean. */
  normal(mean: number, sd: number): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + sd * z;
    }
    const u = 1 - this.next(); // (0, 1]: log(0) would be -Infinity
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
