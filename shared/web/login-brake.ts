// The brake on password guessing: a wrong password is counted against the user name it
// tried and against the client's address, and once either has failed more than a few
// times the answer to each further failure is held back, longer and longer. Nothing here
// ever sees a right password: the caller lets that in at once, whatever the counts
// (basic-auth.ts), so a subscriber that shares an address or a name with a guesser is never
// refused or slowed by it.
//
// Each count is a leaky bucket: +1 per failure, one failure forgotten per `drainMs`, at
// most `maxLevel`. The answer to a failure waits `delay(level)` of the higher of its two
// counts. Held answers are timers, bounded by `maxHeld` in all; past that a failure is
// answered 429 with Retry-After at once (a guesser needs that many connections open).
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';

export interface BrakeOptions {
  /** Failures of a name or an address answered at once (typing mistakes). */
  freeFailures?: number;
  /** The delay of the first failure past the free ones; it doubles with each further failure. */
  baseDelayMs?: number;
  /** The longest delay. */
  maxDelayMs?: number;
  /** One failure is forgotten per this long. */
  drainMs?: number;
  /** The most failures a name or an address is charged with (how long it is remembered: maxLevel × drainMs). */
  maxLevel?: number;
  /** Names, and addresses, remembered at most (each a table of its own). */
  maxTracked?: number;
  /** Failed answers held at once, all clients together. */
  maxHeld?: number;
  now?: () => number;
}

export const BRAKE_DEFAULTS = {
  freeFailures: 5,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  drainMs: 60_000,
  maxLevel: 20,
  maxTracked: 10_000,
  maxHeld: 1_000,
} as const;

/** What to do with one wrong password: answer 401 now, hold the 401 this long, or answer 429 now (too many held). */
export type BrakeDecision =
  | { kind: 'now'; level: number }
  | { kind: 'hold'; ms: number; level: number }
  | { kind: 'too-many'; retryAfterS: number; level: number };

interface Offence {
  /** Failures charged, as of `at` (drains with time). */
  level: number;
  /** When `level` was last set, ms. */
  at: number;
}

/** One table of offenders (names, or addresses), bounded without forgetting the worst first. */
class OffenceTable {
  private readonly rows = new Map<string, Offence>();

  constructor(
    private readonly maxTracked: number,
    private readonly drainMs: number,
    private readonly maxLevel: number,
  ) {}

  get size(): number {
    return this.rows.size;
  }

  levelAt(o: Offence, now: number): number {
    return Math.max(0, o.level - (now - o.at) / this.drainMs);
  }

  get(key: string): Offence | undefined {
    return this.rows.get(key);
  }

  /** Charges `key` with one more failure (making its row, and room for it, when new); returns its level now. */
  charge(key: string, now: number): number {
    let row = this.rows.get(key);
    if (!row) {
      if (this.rows.size >= this.maxTracked) this.forget(now);
      row = { level: 0, at: now };
      this.rows.set(key, row);
    }
    row.level = Math.min(this.maxLevel, this.levelAt(row, now) + 1);
    row.at = now;
    return row.level;
  }

  /**
   * Makes room for a tenth of the table in one pass (so a flood of new keys costs one sort per
   * thousand failures, not one scan each): rows with nothing left to remember go first, then the
   * least offending (lowest level now; of equals, the one whose last failure is oldest).
   */
  private forget(now: number): void {
    for (const [k, o] of this.rows) if (this.levelAt(o, now) === 0) this.rows.delete(k);
    const keep = Math.floor(this.maxTracked * 0.9);
    if (this.rows.size <= keep) return;
    const ranked = [...this.rows].sort(([, a], [, b]) => this.levelAt(a, now) - this.levelAt(b, now) || a.at - b.at);
    for (const [k] of ranked.slice(0, this.rows.size - keep)) this.rows.delete(k);
  }
}

/** An address as counted: IPv4 as it is (also when IPv4-mapped), IPv6 by its /64, which one host usually holds whole. */
export function addressKey(remote: string | undefined): string {
  if (!remote) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
  if (mapped) return mapped[1];
  if (!isIPv6(remote)) return remote;
  const [head, tail = ''] = remote.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = remote.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** A name as counted: a digest, so a 16 KB name costs no more than a short one, and none is kept as written. */
const nameKey = (name: string) => createHash('sha256').update(name, 'utf8').digest('base64url').slice(0, 22);

export class LoginBrake {
  private readonly freeFailures: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxHeld: number;
  private readonly now: () => number;
  private readonly names: OffenceTable;
  private readonly addresses: OffenceTable;
  private heldNow = 0;

  constructor(o: BrakeOptions = {}) {
    this.freeFailures = o.freeFailures ?? BRAKE_DEFAULTS.freeFailures;
    this.baseDelayMs = o.baseDelayMs ?? BRAKE_DEFAULTS.baseDelayMs;
    this.maxDelayMs = o.maxDelayMs ?? BRAKE_DEFAULTS.maxDelayMs;
    this.maxHeld = o.maxHeld ?? BRAKE_DEFAULTS.maxHeld;
    this.now = o.now ?? Date.now;
    const maxTracked = o.maxTracked ?? BRAKE_DEFAULTS.maxTracked;
    const drainMs = o.drainMs ?? BRAKE_DEFAULTS.drainMs;
    const maxLevel = o.maxLevel ?? BRAKE_DEFAULTS.maxLevel;
    this.names = new OffenceTable(maxTracked, drainMs, maxLevel);
    this.addresses = new OffenceTable(maxTracked, drainMs, maxLevel);
  }

  /** The delay of a failure that brings a count to `level`: none up to freeFailures, then doubling to maxDelayMs. */
  delayFor(level: number): number {
    const past = Math.ceil(level) - this.freeFailures;
    if (past <= 0) return 0;
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(past - 1, 30));
  }

  /**
   * Counts a wrong password for `name` (null when the header named none: only the address
   * counts) from `address` (see addressKey), and says when to answer it. Known and unknown
   * names are counted alike, so the answers do not tell which names exist.
   */
  failed(name: string | null, address: string): BrakeDecision {
    const now = this.now();
    let level = this.addresses.charge(address, now);
    if (name !== null) level = Math.max(level, this.names.charge(nameKey(name), now));
    const delay = this.delayFor(level);
    if (delay === 0) return { kind: 'now', level };
    if (this.heldNow >= this.maxHeld) return { kind: 'too-many', retryAfterS: Math.max(1, Math.ceil(delay / 1000)), level };
    this.heldNow++;
    return { kind: 'hold', ms: delay, level };
  }

  /** A held answer went out (or its client left). */
  released(): void {
    this.heldNow = Math.max(0, this.heldNow - 1);
  }

  /** Failures a name and an address are charged with now (0 when not remembered). */
  levels(name: string | null, address: string): { name: number; address: number } {
    const now = this.now();
    const n = name === null ? undefined : this.names.get(nameKey(name));
    const a = this.addresses.get(address);
    return { name: n ? this.names.levelAt(n, now) : 0, address: a ? this.addresses.levelAt(a, now) : 0 };
  }

  /** Rows remembered, and answers held now: what the brake costs in memory. */
  get size(): { names: number; addresses: number; held: number } {
    return { names: this.names.size, addresses: this.addresses.size, held: this.heldNow };
  }
}
