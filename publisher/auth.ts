// Who a request to the publisher comes from: HTTP Basic credentials (../shared/web/basic-auth.ts,
// with its brake on guessing) or an OpenMRS session cookie; and what that user may read (rights.ts).
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../shared/logger.ts';
import { createBasicAuth } from '../shared/web/basic-auth.ts';
import type { BasicAuthOptions } from '../shared/web/basic-auth.ts';
import { rightsOf } from './rights.ts';
import type { Rights, RightsTable } from './rights.ts';
import { sessionIdsIn } from './session-cookie.ts';
import type { Session, SessionStore } from './session-store.ts';

export interface AuthOptions extends BasicAuthOptions {
  /** Sessions opened at the OpenMRS session endpoint: a live one named by the JSESSIONID cookie authenticates as its user. */
  sessions?: SessionStore;
  /** What each user may read (rights.ts); a user not in it may read everything. */
  rights?: RightsTable;
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
  /**
   * Who an Authorization header names, when that exact header was verified by check() before;
   * null otherwise (then check() must decide). For the archive fast path (archive-fast-path.ts).
   */
  verifiedBefore(header: string | undefined): { user: string; rights: Rights } | null;
}

/** Authorization headers remembered as verified; the memory is forgotten whole when full. */
const VERIFIED_MAX = 1000;

export function createAuth(opts: AuthOptions, log: Logger): Auth {
  const basic = createBasicAuth(opts, log);

  /** The live session named by the request's JSESSIONID cookie, if its user may still read. */
  const sessionOf = (req: Request): Session | null => {
    if (!opts.sessions) return null;
    for (const id of sessionIdsIn(req.get('cookie'))) {
      const s = opts.sessions.use(id);
      if (s && opts.users.has(s.user)) return s;
    }
    return null;
  };

  // Only headers that check() let in are remembered, so only a holder of a password can add one, and
  // a header is looked up whole: knowing a part of it gets nothing. Each remembers the password it
  // was right for: should the users table change, it is right no longer.
  const verified = new Map<string, { user: string; rights: Rights; password: string }>();
  const verifiedBefore = (header: string | undefined) => {
    const v = header === undefined ? undefined : verified.get(header);
    return v && opts.users.get(v.user) === v.password ? { user: v.user, rights: v.rights } : null;
  };

  const check = (req: Request, res: Response): AuthVerdict => {
    // Credentials sent decide, even beside a valid cookie: a wrong password is never let through.
    const sent = basic.check(req, res);
    if (sent.kind === 'user') {
      const rights = rightsOf(opts.rights, sent.user);
      const header = req.headers.authorization!;
      if (!verified.has(header)) {
        if (verified.size >= VERIFIED_MAX) verified.clear();
        verified.set(header, { user: sent.user, rights, password: opts.users.get(sent.user)! });
      }
      return { kind: 'user', user: sent.user, rights, session: null };
    }
    if (sent.kind === 'refused') return sent;
    // Only a wrong password is a guess. A request without credentials (a browser's first request,
    // a probe) or with a session that ended (a client after a restart) is not counted; and a 128-bit
    // session id is not there to be guessed.
    const session = sessionOf(req);
    return session ? { kind: 'user', user: session.user, rights: rightsOf(opts.rights, session.user), session } : { kind: 'anonymous' };
  };

  return { check, challenge: basic.challenge, verifiedBefore };
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
