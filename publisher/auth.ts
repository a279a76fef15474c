// HTTP Basic (or an OpenMRS session cookie) for every feed and resource, with a brake on guessing
// (login-brake.ts): wrong passwords are answered later and later, the right one always at once.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../shared/logger.ts';
import { LoginBrake, addressKey } from './login-brake.ts';
import type { BrakeDecision } from './login-brake.ts';
import { HTML_MEDIA_TYPE, wantsHtml } from './negotiate.ts';
import { rightsOf } from './rights.ts';
import type { Rights, RightsTable } from './rights.ts';
import { sessionIdsIn } from './session-cookie.ts';
import type { Session, SessionStore } from './session-store.ts';

export interface AuthOptions {
  /** username -> password. */
  users: Map<string, string>;
  realm?: string;
  /** The brake on wrong passwords; one with BRAKE_DEFAULTS otherwise. */
  brake?: LoginBrake;
  /** The body of a 401 or 429 for a browser (the JSON error otherwise). */
  htmlPage?: (status: number, message: string) => string;
  /** Sessions opened at the OpenMRS session endpoint: a live one named by the JSESSIONID cookie authenticates as its user. */
  sessions?: SessionStore;
  /** What each user may read (rights.ts); a user not in it may read everything. */
  rights?: RightsTable;
}

export const AUTH_DEFAULTS = { realm: 'atomsync' } as const;

/** A brake's warnings about one client address are logged at most this often. */
const WARN_EVERY_MS = 60_000;

/** Parses `hq:secret,erp:other`. Passwords may contain ':' (split at the first). */
export function parseUsers(spec: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const pair of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = pair.indexOf(':');
    if (i <= 0 || i === pair.length - 1) throw new Error(`--users entry "${pair.split(':')[0]}:…" must be name:password`);
    users.set(pair.slice(0, i), pair.slice(i + 1));
  }
  if (users.size === 0) throw new Error('--users must name at least one subscriber (name:password)');
  return users;
}

/** Compares digests so the comparison takes the same time whatever the lengths. */
function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/**
 * What a request's credentials came to. `refused`: the answer is sent, or will be once the
 * brake's delay is over (401 for a wrong password; 429 when the brake holds all it may).
 * `anonymous`: no credentials, or a session id that is unknown or has ended, which are one
 * and the same to the caller.
 */
export type AuthVerdict = { kind: 'user'; user: string; rights: Rights; session: Session | null } | { kind: 'anonymous' } | { kind: 'refused' };

export interface Auth {
  /** Decides who sent `req`. A wrong password counts against the name it tried and the client's address. */
  check(req: Request, res: Response): AuthVerdict;
  /** The 401 every unauthenticated request gets, whatever it lacked. */
  challenge(req: Request, res: Response): void;
}

export function createAuth(opts: AuthOptions, log: Logger): Auth {
  const realm = opts.realm ?? AUTH_DEFAULTS.realm;
  const brake = opts.brake ?? new LoginBrake();
  const warnedAt = new Map<string, number>();
  const refuse = (req: Request, res: Response, status: number, code: string, message: string) => {
    res.status(status);
    if (opts.htmlPage && wantsHtml(req, 'application/json')) res.type(HTML_MEDIA_TYPE).send(opts.htmlPage(status, message));
    else res.json({ error: { code, message } });
  };
  const challenge = (req: Request, res: Response) => {
    res.set('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
    refuse(req, res, 401, 'unauthorized', 'authentication required');
  };

  /** The live session named by the request's JSESSIONID cookie, if its user may still read. */
  const sessionOf = (req: Request): Session | null => {
    if (!opts.sessions) return null;
    for (const id of sessionIdsIn(req.get('cookie'))) {
      const s = opts.sessions.use(id);
      if (s && opts.users.has(s.user)) return s;
    }
    return null;
  };

  /** One line per failure until the brake slows a client, then one a minute per address: a storm must not flood the log. */
  const warn = (req: Request, client: string, name: string | null, d: BrakeDecision) => {
    // Only a configured name is logged: an unknown one may be a password typed into the name field.
    const user = name === null ? null : opts.users.has(name) ? name : '(unknown)';
    if (d.kind === 'now') return log.warn('failed login', { client, user, path: req.path });
    const last = warnedAt.get(client);
    if (last !== undefined && Date.now() - last < WARN_EVERY_MS) return;
    if (warnedAt.size >= 1000) warnedAt.clear();
    warnedAt.set(client, Date.now());
    log.warn('failed logins from this address are being slowed', { client, user, failures: Math.ceil(d.level), path: req.path });
  };

  /** Answers a wrong password as the brake decided. */
  const answerFailure = (req: Request, res: Response, d: BrakeDecision) => {
    if (d.kind === 'now') return challenge(req, res);
    if (d.kind === 'too-many') {
      // The brake holds as many answers as it may: this one goes now, and its connection with it.
      res.set({ 'Retry-After': String(d.retryAfterS), Connection: 'close' });
      return refuse(req, res, 429, 'too_many_failures', 'too many failed logins; try again later');
    }
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      brake.released();
    };
    // Held with a timer, not a loop: a held answer costs its socket and a closure, no CPU.
    const timer = setTimeout(() => {
      release();
      if (!res.headersSent && !res.destroyed) challenge(req, res);
    }, d.ms).unref();
    res.once('close', release);
  };

  const check = (req: Request, res: Response): AuthVerdict => {
    // Credentials sent decide, even beside a valid cookie: a wrong password is never let through.
    const header = req.get('authorization');
    if (header) {
      const sent = basicCredentials(header);
      const user = sent && credentialsMatch(sent, opts.users);
      // A right password is let in at once, whatever the brake has counted against its name or address.
      if (user) return { kind: 'user', user, rights: rightsOf(opts.rights, user), session: null };
      const client = req.socket.remoteAddress ?? 'unknown';
      const decision = brake.failed(sent?.name ?? null, addressKey(client));
      warn(req, client, sent?.name ?? null, decision);
      answerFailure(req, res, decision);
      return { kind: 'refused' };
    }
    // Only a wrong password is a guess. A request without credentials (a browser's first request,
    // a probe) or with a session that ended (a client after a restart) is not counted; and a 128-bit
    // session id is not there to be guessed.
    const session = sessionOf(req);
    return session ? { kind: 'user', user: session.user, rights: rightsOf(opts.rights, session.user), session } : { kind: 'anonymous' };
  };

  return { check, challenge };
}

/** Lets through requests with valid credentials (HTTP Basic, or a session cookie when `opts.sessions` is given). */
export function basicAuth(opts: AuthOptions, log: Logger) {
  return requireAuth(createAuth(opts, log));
}

export function requireAuth(auth: Auth) {
  return (req: Request, res: Response, next: NextFunction) => {
    const verdict = auth.check(req, res);
    if (verdict.kind === 'user') {
      res.locals.user = verdict.user;
      res.locals.rights = verdict.rights; // what the routes check (rights.ts rightsIn)
      next();
    } else if (verdict.kind === 'anonymous') {
      auth.challenge(req, res);
    }
  };
}

/** The name and password of an HTTP Basic header; null for another scheme or a header without a colon. */
export function basicCredentials(header: string | undefined): { name: string; password: string } | null {
  if (!header || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return null;
  return { name: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** The user name when the password is that user's. */
function credentialsMatch(sent: { name: string; password: string }, users: Map<string, string>): string | null {
  const expected = users.get(sent.name);
  // Compare even for an unknown user, so timing does not reveal which names exist.
  const ok = sameSecret(sent.password, expected ?? '\0no such user');
  return ok && expected !== undefined ? sent.name : null;
}

/** Returns the user name when the header carries valid credentials. */
export function checkCredentials(header: string | undefined, users: Map<string, string>): string | null {
  const sent = basicCredentials(header);
  return sent && credentialsMatch(sent, users);
}
