// HTTP Basic for both admin UIs (the publisher's feeds and pages, the subscriber's status page),
// with a brake on guessing (login-brake.ts): wrong passwords are answered later and later, the
// right one always at once.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger.ts';
import { LoginBrake, addressKey } from './login-brake.ts';
import type { BrakeDecision } from './login-brake.ts';
import { HTML_MEDIA_TYPE, wantsHtml } from './negotiate.ts';

export interface BasicAuthOptions {
  /** username -> password. */
  users: Map<string, string>;
  realm?: string;
  /** The brake on wrong passwords; one with BRAKE_DEFAULTS otherwise. */
  brake?: LoginBrake;
  /** The body of a 401 or 429 for a browser (the JSON error otherwise). */
  htmlPage?: (status: number, message: string) => string;
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
 * What a request's Authorization header came to. `none`: the request has none. `refused`: the
 * answer is sent, or will be once the brake's delay is over (401 for a wrong password; 429 when
 * the brake holds all it may).
 */
export type BasicVerdict = { kind: 'user'; user: string } | { kind: 'none' } | { kind: 'refused' };

export interface BasicAuth {
  /** Decides what the credentials sent are worth. A wrong password counts against the name it tried and the client's address. */
  check(req: Request, res: Response): BasicVerdict;
  /** The 401 every unauthenticated request gets, whatever it lacked. */
  challenge(req: Request, res: Response): void;
}

type Responder = (req: Request, res: Response) => void;

export function createBasicAuth(opts: BasicAuthOptions, log: Logger): BasicAuth {
  const brake = opts.brake ?? new LoginBrake();
  const refuse = refuser(opts);
  const challenge: Responder = (req, res) => {
    res.set('WWW-Authenticate', `Basic realm="${opts.realm ?? AUTH_DEFAULTS.realm}", charset="UTF-8"`);
    refuse(req, res, 401, 'unauthorized', 'authentication required');
  };
  const warn = failureWarner(opts.users, log);
  const answerFailure = failureAnswerer(brake, refuse, challenge);

  const check = (req: Request, res: Response): BasicVerdict => {
    const header = req.get('authorization');
    if (!header) return { kind: 'none' };
    const sent = basicCredentials(header);
    const user = sent && credentialsMatch(sent, opts.users);
    // A right password is let in at once, whatever the brake has counted against its name or address.
    if (user) return { kind: 'user', user };
    const client = req.socket.remoteAddress ?? 'unknown';
    const decision = brake.failed(sent?.name ?? null, addressKey(client));
    warn(req, client, sent?.name ?? null, decision);
    answerFailure(req, res, decision);
    return { kind: 'refused' };
  };

  return { check, challenge };
}

type Refuse = (req: Request, res: Response, status: number, code: string, message: string) => void;

/** Sends a refusal: the HTML page to a browser when there is one, the JSON error otherwise. */
function refuser(opts: BasicAuthOptions): Refuse {
  return (req, res, status, code, message) => {
    res.status(status);
    if (opts.htmlPage && wantsHtml(req, 'application/json')) res.type(HTML_MEDIA_TYPE).send(opts.htmlPage(status, message));
    else res.json({ error: { code, message } });
  };
}

/** One line per failure until the brake slows a client, then one a minute per address: a storm must not flood the log. */
function failureWarner(users: Map<string, string>, log: Logger) {
  const warnedAt = new Map<string, number>();
  return (req: Request, client: string, name: string | null, d: BrakeDecision): void => {
    // Only a configured name is logged: an unknown one may be a password typed into the name field.
    const user = name === null ? null : users.has(name) ? name : '(unknown)';
    if (d.kind === 'now') return log.warn('failed login', { client, user, path: req.path });
    const last = warnedAt.get(client);
    if (last !== undefined && Date.now() - last < WARN_EVERY_MS) return;
    if (warnedAt.size >= 1000) warnedAt.clear();
    warnedAt.set(client, Date.now());
    log.warn('failed logins from this address are being slowed', { client, user, failures: Math.ceil(d.level), path: req.path });
  };
}

/** Answers a wrong password as the brake decided. */
function failureAnswerer(brake: LoginBrake, refuse: Refuse, challenge: Responder) {
  return (req: Request, res: Response, d: BrakeDecision): void => {
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
}

/** Lets through requests with valid HTTP Basic credentials (their user in `res.locals.user`); the others get a 401. */
export function basicAuth(opts: BasicAuthOptions, log: Logger) {
  const auth = createBasicAuth(opts, log);
  return (req: Request, res: Response, next: NextFunction) => {
    const verdict = auth.check(req, res);
    if (verdict.kind === 'user') {
      res.locals.user = verdict.user;
      next();
    } else if (verdict.kind === 'none') {
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
