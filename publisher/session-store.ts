// Login sessions held in the publisher's memory, as Tomcat holds OpenMRS's: opened at the
// session endpoint, found again by the id in the JSESSIONID cookie. A restart forgets them all;
// clients log in again, as they do after an OpenMRS restart.
import { randomBytes } from 'node:crypto';

export interface SessionOptions {
  /** A session unused for this long ends (Tomcat's default session-timeout, 30 minutes). */
  idleMs?: number;
  /** A session ends this long after its login however busy it is; its cookie expires then too. */
  maxLifetimeMs?: number;
  /** Sessions held at most; beyond it the least recently used one ends. */
  maxSessions?: number;
  /** Sessions one user holds at most, so a client that logs in on every run (Bahmni's jobs do) cannot push out the others'. */
  maxSessionsPerUser?: number;
  now?: () => number;
}

export const SESSION_DEFAULTS = {
  idleMs: 30 * 60_000,
  maxLifetimeMs: 8 * 3_600_000,
  maxSessions: 10_000,
  maxSessionsPerUser: 1_000,
} as const;

/** 16 random bytes as 32 upper-case hex digits: Tomcat's form, and the only one Bahmni's login reads from Set-Cookie. */
export const SESSION_ID_PATTERN = /^[0-9A-F]{32}$/;

export function newSessionId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export interface Session {
  readonly id: string;
  readonly user: string;
  readonly openedAt: number;
  lastUsedAt: number;
}

export class SessionStore {
  readonly idleMs: number;
  readonly maxLifetimeMs: number;
  private readonly maxSessions: number;
  private readonly maxPerUser: number;
  private readonly now: () => number;
  /** Least recently used first: use() moves a session to the end. */
  private readonly byId = new Map<string, Session>();
  private readonly countByUser = new Map<string, number>();

  constructor(o: SessionOptions = {}) {
    this.idleMs = o.idleMs ?? SESSION_DEFAULTS.idleMs;
    this.maxLifetimeMs = o.maxLifetimeMs ?? SESSION_DEFAULTS.maxLifetimeMs;
    this.maxSessions = o.maxSessions ?? SESSION_DEFAULTS.maxSessions;
    this.maxPerUser = o.maxSessionsPerUser ?? SESSION_DEFAULTS.maxSessionsPerUser;
    this.now = o.now ?? Date.now;
  }

  get size(): number {
    return this.byId.size;
  }

  /** A new session for `user`, who has just shown a valid password. */
  open(user: string): Session {
    this.dropIdle();
    if ((this.countByUser.get(user) ?? 0) >= this.maxPerUser) {
      for (const s of this.byId.values()) {
        if (s.user === user) {
          this.remove(s);
          break;
        }
      }
    }
    while (this.byId.size >= this.maxSessions) this.remove(this.byId.values().next().value!);
    const now = this.now();
    const session: Session = { id: newSessionId(), user, openedAt: now, lastUsedAt: now };
    this.byId.set(session.id, session);
    this.countByUser.set(user, (this.countByUser.get(user) ?? 0) + 1);
    return session;
  }

  /** The live session with this id, marked as used now; null when unknown, idle too long or too old. */
  use(id: string): Session | null {
    const s = this.byId.get(id);
    if (!s) return null;
    if (this.expired(s, this.now())) {
      this.remove(s);
      return null;
    }
    s.lastUsedAt = this.now();
    this.byId.delete(id);
    this.byId.set(id, s);
    return s;
  }

  /** Ends the session with this id, if there is one. */
  end(id: string): void {
    const s = this.byId.get(id);
    if (s) this.remove(s);
  }

  private expired(s: Session, now: number): boolean {
    return now - s.lastUsedAt >= this.idleMs || now - s.openedAt >= this.maxLifetimeMs;
  }

  /** Ends the sessions idle too long. They sit at the front, so this stops at the first one still in use. */
  private dropIdle(): void {
    const now = this.now();
    for (const s of this.byId.values()) {
      if (now - s.lastUsedAt < this.idleMs) break;
      this.remove(s);
    }
  }

  private remove(s: Session): void {
    this.byId.delete(s.id);
    const n = (this.countByUser.get(s.user) ?? 1) - 1;
    if (n > 0) this.countByUser.set(s.user, n);
    else this.countByUser.delete(s.user);
  }
}
