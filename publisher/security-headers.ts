// Headers every answer of the publisher carries, set before anything else runs so that no
// answer lacks them: the HTML pages (feeds, resources, the root page, errors, the sign-in page),
// and Atom and JSON alike, where they cost nothing and keep a browser from reading a body as
// something else. The pages load nothing but their own inline stylesheet and a data: icon, so
// the policy allows exactly that; no page may be framed, post a form, or tell another site
// which page (and so which patient's uuid) it was opened from.
import type { NextFunction, Request, Response } from 'express';
import { NO_STORE_CACHE_CONTROL } from '../shared/protocol.ts';
import { STYLE_CSP_SOURCE } from './page-layout.ts';

export const CONTENT_SECURITY_POLICY =
  `default-src 'none'; style-src ${STYLE_CSP_SOURCE}; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`;

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  // For browsers that predate frame-ancestors.
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  // Only this origin's own pages may load a response as a subresource (a script or image tag elsewhere cannot).
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Sets SECURITY_HEADERS, and `Cache-Control: no-store` until a route says otherwise: an answer
 * that forgets to choose (an error, a refusal) is then kept by no cache rather than by a guess.
 */
export function securityHeaders() {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.set(SECURITY_HEADERS);
    res.set('Cache-Control', NO_STORE_CACHE_CONTROL);
    next();
  };
}
