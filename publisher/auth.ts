// HTTP Basic authentication for every feed and resource, with a brake on guessing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../shared/logger.ts';
import { HTML_MEDIA_TYPE, wantsHtml } from './negotiate.ts';

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

export function basicAuth(opts: AuthOptions, log: Logger) {
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

  /** Keeps the table bounded: expired entries go first, then the oldest. */
  const forgetOld = () => {
    if (failures.size < MAX_TRACKED_CLIENTS) return;
    for (const [k, v] of failures) if (now() - v.since > windowMs) failures.delete(k);
    for (const k of failures.keys()) {
      if (failures.size < MAX_TRACKED_CLIENTS) break;
      failures.delete(k);
    }
  };

  return (req: Request, res: Response, next: NextFunction) => {
    const client = req.socket.remoteAddress ?? 'unknown';
    const f = failures.get(client);
    if (f && now() - f.since > windowMs) failures.delete(client);
    const current = failures.get(client);
    if (current && current.count >= maxFailures) {
      const retryS = Math.ceil((current.since + windowMs - now()) / 1000);
      res.set('Retry-After', String(Math.max(1, retryS)));
      refuse(req, res, 429, 'too_many_failures', 'too many failed logins; try again later');
      return;
    }
    const user = checkCredentials(req.get('authorization'), opts.users);
    if (user) {
      res.locals.user = user;
      next();
      return;
    }
    // Only a wrong password is a guess. A request without credentials (a browser's first
    // request, a probe) would otherwise lock out a subscriber that shares its address.
    if (req.get('authorization')) {
      if (!failures.has(client)) forgetOld();
      const entry = failures.get(client) ?? { count: 0, since: now() };
      entry.count++;
      failures.set(client, entry);
      log.warn('failed login', { client, path: req.path });
    }
    res.set('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
    refuse(req, res, 401, 'unauthorized', 'authentication required');
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
