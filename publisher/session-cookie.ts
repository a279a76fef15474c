// The JSESSIONID cookie: reading session ids from a Cookie header, and writing Set-Cookie.
// Pure functions, so their exact form is tested without a server.
import { SESSION_ID_PATTERN } from './session-store.ts';

/** The cookie OpenMRS's Tomcat sets, and the name Bahmni's clients send back. */
export const SESSION_COOKIE = 'JSESSIONID';
/** OpenMRS's context path: the cookie goes with feeds and resources, nowhere else on the host. */
export const SESSION_COOKIE_PATH = '/openmrs';
/** At most this many JSESSIONID values are looked at in one request. */
const MAX_IDS_PER_REQUEST = 4;

/**
 * The well-formed session ids in a Cookie header, in order. Bahmni's clients write
 * ` JSESSIONID=… ` with spaces around it, so names and values are trimmed.
 */
export function sessionIdsIn(header: string | undefined): string[] {
  if (!header) return [];
  const ids: string[] = [];
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (SESSION_ID_PATTERN.test(value)) ids.push(value);
    if (ids.length === MAX_IDS_PER_REQUEST) break;
  }
  return ids;
}

/**
 * The Set-Cookie value for a new session. The name comes first and the value is bare:
 * Bahmni's login finds the id with `\bJSESSIONID=([A-Z0-9]{32})` in the first Set-Cookie.
 */
export function sessionCookie(id: string, o: { maxAgeMs: number; now: number; secure: boolean }): string {
  const maxAgeS = Math.floor(o.maxAgeMs / 1000);
  return withAttributes(`${SESSION_COOKIE}=${id}; Max-Age=${maxAgeS}; Expires=${new Date(o.now + maxAgeS * 1000).toUTCString()}`, o.secure);
}

/** The Set-Cookie value that makes a client drop its session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return withAttributes(`${SESSION_COOKIE}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`, secure);
}

function withAttributes(cookie: string, secure: boolean): string {
  return `${cookie}; Path=${SESSION_COOKIE_PATH}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}
