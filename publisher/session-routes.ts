// {REST_PATH}/session, as OpenMRS's REST module answers it, so a stock Bahmni/atomfeed client
// can log in: GET (or POST) with HTTP Basic opens a session and sets the JSESSIONID cookie that
// then authenticates its feed and resource requests; DELETE ends it. This router runs before
// the authentication middleware because anonymous requests get an answer here, not a 401.
import { createHash } from 'node:crypto';
import { Router } from 'express';
import type { Request, Response } from 'express';
import { REST_PATH } from '../shared/protocol.ts';
import type { Logger } from '../shared/logger.ts';
import type { Auth } from './auth.ts';
import { clearedSessionCookie, sessionCookie, sessionIdsIn } from './session-cookie.ts';
import type { Session, SessionStore } from './session-store.ts';

export const SESSION_PATH = `${REST_PATH}/session`;
/** atomsync speaks one language; OpenMRS names the session's locale and the ones allowed. */
const LOCALE = 'en';

/** A uuid for `user` on this node: a name-based (version 5) uuid in the node's uuid as namespace. Stable across restarts. */
export function userUuid(nodeUuid: string, user: string): string {
  const hex = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(nodeUuid) ? nodeUuid.replace(/-/g, '') : '0'.repeat(32);
  const b = createHash('sha1').update(Buffer.from(hex, 'hex')).update(user, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The body for a logged-in session: OpenMRS's fields, with what atomsync has. `sessionId` is the
 * cookie's value, which OpenMRS stopped sending in webservices.rest 2.39 but Bahmni's older
 * clients still read from the body. atomsync's users are names with a password: no person, roles,
 * privileges, location or provider.
 */
export function authenticatedBody(session: Session, nodeUuid: string) {
  const name = session.user;
  return {
    sessionId: session.id,
    authenticated: true,
    user: {
      uuid: userUuid(nodeUuid, name),
      display: name,
      username: name,
      systemId: name,
      userProperties: {},
      person: null,
      privileges: [],
      roles: [],
    },
    locale: LOCALE,
    allowedLocales: [LOCALE],
    sessionLocation: null,
    currentProvider: null,
  };
}

/** What OpenMRS tells a client without a session: nothing about the node. */
export const ANONYMOUS_BODY = { authenticated: false, locale: LOCALE, allowedLocales: [LOCALE] } as const;

export function sessionRoutes(o: { auth: Auth; sessions: SessionStore; nodeUuid: string; publicUrl?: string; log: Logger }): Router {
  const router = Router();
  // `Secure` when the client reaches us over TLS: served here, or by a proxy in front of the public URL.
  const secure = (req: Request) => req.secure || (o.publicUrl?.startsWith('https:') ?? false);

  const show = (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    const verdict = o.auth.check(req, res);
    if (verdict.kind === 'refused') return;
    if (verdict.kind === 'anonymous') return void res.json(ANONYMOUS_BODY);
    // A password opens a new session; a live cookie shows the session it names, as Tomcat would.
    let session = verdict.session;
    if (!session) {
      session = o.sessions.open(verdict.user);
      // The cookie lasts as long as the session may: the idle timeout ends it sooner on our side.
      res.set('Set-Cookie', sessionCookie(session.id, { maxAgeMs: o.sessions.maxLifetimeMs, now: session.openedAt, secure: secure(req) }));
      o.log.debug('session opened', { user: verdict.user, client: req.socket.remoteAddress });
    }
    res.json(authenticatedBody(session, o.nodeUuid));
  };

  // Ends the session the cookie names, whoever asks: knowing the id is what a session is. The answer
  // is the same for a live, an ended or no session, as OpenMRS's 204 is.
  const end = (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    if (o.auth.check(req, res).kind === 'refused') return;
    for (const id of sessionIdsIn(req.get('cookie'))) o.sessions.end(id);
    res.set('Set-Cookie', clearedSessionCookie(secure(req)));
    res.status(204).end();
  };

  router.route(SESSION_PATH).get(show).post(show).delete(end);
  return router;
}
