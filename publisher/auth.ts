// HTTP Basic (or an OpenMRS session cookie) for every feed and resource, with a brake on guessing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../shared/logger.ts';
import { HTML_MEDIA_TYPE, wantsHtml } from './negotiate.ts';
import { sessionIdsIn } from './session-cookie.ts';
import type { Session, SessionStore } from './session-store.ts';

export interface AuthOptions {
  /** username -> password. */
  users: Map<string, string>;
  realm?: string;
  /** Failed attempts allowed per client address within the window before 429. */
  maxFailures?: number;
  failureWindowMs?: number;
  now?: () => number;
  /** The body of a 401 or 429 for a browser (the JSON error otherwise). */
  htmlPage?: (status: number, message: string) => string;
  /** Sessions opened at the OpenMRS session endpoint: a live one named by the JSESSIONID cookie authenticates as its user. */
  sessions?: SessionStore;
}

export const AUTH_DEFAULTS = { realm: 'atomsync', maxFailures: 20, failureWindowMs: 60_000 } as const;

/** Client addresses whose failures are remembered at most: a bound on memory, whatever addresses guessers use. */
export const MAX_TRACKED_CLIENTS = 10_000;

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
 * What a request's credentials came to. `refused`: the answer is already sent (401 for a
 * wrong password, 429 from the brake). `anonymous`: no credentials, or a session id that is
 * unknown or has ended, which are one and the same to the caller.
 */
export type AuthVerdict = { kind: 'user'; user: string; session: Session | null } | { kind: 'anonymous' } | { kind: 'refused' };

export interface Auth {
  /** Decides who sent `req`. A wrong password counts against the client's address. */
  check(req: Request, res: Response): AuthVerdict;
  /** The 401 every unauthenticated request gets, whatever it lacked. */
  challenge(req: Request, res: Response): void;
}

export function createAuth(opts: AuthOptions, log: Logger): Auth {
  const realm = opts.realm ?? AUTH_DEFAULTS.realm;
  const maxFailures = opts.maxFailures ?? AUTH_DEFAULTS.maxFailures;
  const windowMs = opts.failureWindowMs ?? AUTH_DEFAULTS.failureWindowMs;
  const now = opts.now ?? Date.now;
  const failures = new Map<string, { count: number; since: number }>();
  const refuse = (req: Request, res: Response, status: number, code: string, message: string) => {
    res.status(status);
    if (opts.htmlPage && wantsHtml(req, 'application/json')) res.type(HTML_MEDIA_TYPE).send(opts.htmlPage(status, message));
    else res.json({ error: { code, message } });
  };
  const challenge = (req: Request, res: Response) => {
    res.set('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
    refuse(req, res, 401, 'unauthorized', 'authentication required');
  };

  /** Keeps the table bounded: expired entries go first, then the oldest. */
  const forgetOld = () => {
    if (failures.size < MAX_TRACKED_CLIENTS) return;
    for (const [k, v] of failures) if (now() - v.since > windowMs) failures.delete(k);
    for (const k of failures.keys()) {
      if (failures.size < MAX_TRACKED_CLIENTS) break;
      failures.delete(k);
    }
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

  const check = (req: Request, res: Response): AuthVerdict => {
    const client = req.socket.remoteAddress ?? 'unknown';
    const f = failures.get(client);
    if (f && now() - f.since > windowMs) failures.delete(client);
    const current = failures.get(client);
    if (current && current.count >= maxFailures) {
      const retryS = Math.ceil((current.since + windowMs - now()) / 1000);
      res.set('Retry-After', String(Math.max(1, retryS)));
      refuse(req, res, 429, 'too_many_failures', 'too many failed logins; try again later');
      return { kind: 'refused' };
    }
    // Credentials sent decide, even beside a valid cookie: a wrong password is never let through.
    if (req.get('authorization')) {
      const user = checkCredentials(req.get('authorization'), opts.users);
      if (user) return { kind: 'user', user, session: null };
      if (!failures.has(client)) forgetOld();
      const entry = failures.get(client) ?? { count: 0, since: now() };
      entry.count++;
      failures.set(client, entry);
      log.warn('failed login', { client, path: req.path });
      challenge(req, res);
      return { kind: 'refused' };
    }
    // Only a wrong password is a guess. A request without credentials (a browser's first request,
    // a probe) or with a session that ended (a client after a restart) would otherwise lock out a
    // subscriber that shares its address; and a 128-bit session id is not there to be guessed.
    const session = sessionOf(req);
    return session ? { kind: 'user', user: session.user, session } : { kind: 'anonymous' };
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
      next();
    } else if (verdict.kind === 'anonymous') {
      auth.challenge(req, res);
    }
  };
}

/** Returns the user name when the header carries valid credentials. */
export function checkCredentials(header: string | undefined, users: Map<string, string>): string | null {
  if (!header || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return null;
  const name = decoded.slice(0, i);
  const password = decoded.slice(i + 1);
  const expected = users.get(name);
  // Compare even for an unknown user, so timing does not reveal which names exist.
  const ok = sameSecret(password, expected ?? '\0no such user');
  return ok && expected !== undefined ? name : null;
}
