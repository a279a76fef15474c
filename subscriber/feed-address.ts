// The address of one feed a subscriber reads: where it is, how to authenticate, and which
// origins its links may point to. A feed must not make us call other hosts.
import { FEED_PATH, RECENT } from '../shared/protocol.ts';
import { ForbiddenLinkError } from './errors.ts';

export interface FeedAddressOptions {
  /** user:password used when the URL carries none. */
  defaultCredentials?: string;
  /** Other origins the feed's links may point at (e.g. a separate REST host). */
  allowedOrigins?: string[];
  /** The marker's key when it is not the URL: a bundle's source (`bundle:<origin>`, subscriber/bundle/). */
  key?: string;
}

export class FeedAddress {
  /** The feed's recent URL without credentials: the marker's key and the name in logs. */
  readonly key: string;
  readonly origin: string;
  readonly authorization?: string;
  readonly recentUrl: string;
  /** Page 1: where a first run starts, instead of crawling back from recent. */
  readonly firstPageUrl: string;
  readonly category: string;
  private readonly allowed: Set<string>;

  constructor(url: string, opts: FeedAddressOptions = {}) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new Error(`feed URL is not a URL: ${url.replace(/\/\/[^@/]*@/, '//***@')}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`feed URL must be http or https (got ${u.protocol})`);
    const creds = u.username ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : opts.defaultCredentials;
    if (creds) this.authorization = `Basic ${Buffer.from(creds).toString('base64')}`;
    u.username = '';
    u.password = '';
    const m = new RegExp(`^(.*)/([^/]+)/${RECENT}/?$`).exec(u.pathname);
    if (!m) throw new Error(`feed URL must end in /{category}/${RECENT} (like ${FEED_PATH}/patient/${RECENT}): ${u}`);
    this.category = m[2];
    this.origin = u.origin;
    this.recentUrl = `${u.origin}${u.pathname.replace(/\/$/, '')}`;
    this.firstPageUrl = `${u.origin}${m[1]}/${m[2]}/1`;
    this.key = opts.key ?? this.recentUrl;
    this.allowed = new Set([u.origin, ...(opts.allowedOrigins ?? []).map(allowedOrigin)]);
  }

  /** Absolute URL for a link or path found in the feed; refuses other hosts. */
  resolve(link: string): string {
    let u: URL;
    try {
      u = new URL(link, this.origin);
    } catch {
      throw new ForbiddenLinkError(String(link).slice(0, 200), [...this.allowed]);
    }
    if (!this.allowed.has(u.origin) || u.username || u.password) throw new ForbiddenLinkError(u.toString().slice(0, 200), [...this.allowed]);
    return u.toString();
  }
}

/** The origin of an --allow-origin value, which must be an http(s) URL. */
export function allowedOrigin(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`allowed origin is not a URL (like https://rest.example.org): ${url.replace(/\/\/[^@/]*@/, '//***@')}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`allowed origin must be http or https (got ${u.protocol})`);
  return u.origin;
}
