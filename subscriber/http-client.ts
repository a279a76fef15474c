// Fetches feed pages and resources with undici: one keep-alive pool per origin,
// timeouts, a deadline for the whole response, a body size cap (also after
// gunzip), and a few quick retries with full jitter for 5xx, 429 and network
// errors. Other 4xx go straight back. gzip is asked for except from a loopback
// address (see acceptEncodingFor).
import { isIP } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import type { Logger } from '../shared/logger.ts';
import { LONG_POLL_HEADER } from '../shared/protocol.ts';
import { backoffMs } from './backoff.ts';
import { FetchError, HttpStatusError } from './errors.ts';

export interface HttpClientOptions {
  /** Sockets kept per origin. */
  connectionsPerOrigin?: number;
  /** Time allowed for the response headers. */
  headersTimeoutMs?: number;
  /** Time allowed between two chunks of the body. */
  bodyTimeoutMs?: number;
  /**
   * Time allowed for the whole response, headers and body. Default: 8 × bodyTimeoutMs
   * (2 minutes at the defaults). The per-chunk timeout alone lets a peer that sends a
   * byte now and then hold a feed, and shutdown, for as long as it likes.
   */
  totalTimeoutMs?: number;
  /** Quick retries of a failed GET before the caller hears of it. */
  retries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  userAgent?: string;
  /** For tests: replaces the default undici Agent. */
  dispatcher?: Dispatcher;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const HTTP_DEFAULTS = {
  connectionsPerOrigin: 16,
  headersTimeoutMs: 15_000,
  bodyTimeoutMs: 30_000,
  retries: 2,
  retryBaseMs: 250,
  retryMaxMs: 5_000,
} as const;

export interface GetOptions {
  authorization?: string;
  /** Sends If-None-Match; a 304 comes back as notModified. */
  etag?: string;
  accept?: string;
  maxBytes: number;
  /** Extra headers, e.g. the subscriber's identity. */
  headers?: Record<string, string>;
  /**
   * Long polling (SPEC.md): with `etag`, asks the server to hold the request up to this many
   * seconds until something changes. The timeouts grow by as much.
   */
  waitS?: number;
  /** Aborts the request (the subscriber stopping while a long poll is held). */
  signal?: AbortSignal;
}

export type GetResult = ({ notModified: true; etag?: string } | { notModified: false; body: string; etag?: string; contentType: string }) & {
  /** The seconds the server said it was prepared to hold the request (its LONG_POLL_HEADER); 0 or absent: it answered at once. */
  heldS?: number;
};

export function retryAfterSeconds(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

export class HttpClient {
  private readonly dispatcher: Dispatcher;
  private readonly o: Required<Omit<HttpClientOptions, 'dispatcher' | 'userAgent'>> & { userAgent: string };

  constructor(
    opts: HttpClientOptions,
    private readonly log: Logger,
  ) {
    this.o = {
      connectionsPerOrigin: opts.connectionsPerOrigin ?? HTTP_DEFAULTS.connectionsPerOrigin,
      headersTimeoutMs: opts.headersTimeoutMs ?? HTTP_DEFAULTS.headersTimeoutMs,
      bodyTimeoutMs: opts.bodyTimeoutMs ?? HTTP_DEFAULTS.bodyTimeoutMs,
      totalTimeoutMs: opts.totalTimeoutMs ?? 8 * (opts.bodyTimeoutMs ?? HTTP_DEFAULTS.bodyTimeoutMs),
      retries: opts.retries ?? HTTP_DEFAULTS.retries,
      retryBaseMs: opts.retryBaseMs ?? HTTP_DEFAULTS.retryBaseMs,
      retryMaxMs: opts.retryMaxMs ?? HTTP_DEFAULTS.retryMaxMs,
      userAgent: opts.userAgent ?? 'atomsync',
      random: opts.random ?? Math.random,
      sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    };
    this.dispatcher =
      opts.dispatcher ??
      new Agent({
        connections: this.o.connectionsPerOrigin,
        keepAliveTimeout: 30_000,
        headersTimeout: this.o.headersTimeoutMs,
        bodyTimeout: this.o.bodyTimeoutMs,
      });
  }

  async get(url: string, g: GetOptions): Promise<GetResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(url, g);
      } catch (err) {
        // A response that overran its deadline is not a blip: asking again at once would only
        // hold the feed up as long again. The caller's backoff decides when to try next.
        const transient = err instanceof FetchError && !(err instanceof ResponseTimeoutError) && !(err instanceof RequestAbortedError);
        if (!transient || attempt >= this.o.retries) throw err;
        const wait = err.retryAfterS !== undefined
          ? Math.min(err.retryAfterS * 1000, this.o.retryMaxMs)
          : backoffMs(attempt, this.o.retryBaseMs, this.o.retryMaxMs, this.o.random);
        this.log.debug('retrying GET', { url: redact(url), attempt: attempt + 1, waitMs: wait, error: err });
        await this.o.sleep(wait);
      }
    }
  }

  private async once(url: string, g: GetOptions): Promise<GetResult> {
    const headers: Record<string, string> = {
      'accept-encoding': acceptEncodingFor(url),
      'user-agent': this.o.userAgent,
      ...(g.accept ? { accept: g.accept } : {}),
      ...(g.authorization ? { authorization: g.authorization } : {}),
      ...(g.etag ? { 'if-none-match': g.etag } : {}),
      ...(g.etag && g.waitS ? { [LONG_POLL_HEADER]: String(g.waitS) } : {}),
      ...g.headers,
    };
    const heldMs = g.etag && g.waitS ? g.waitS * 1000 : 0;
    const totalMs = this.o.totalTimeoutMs + heldMs;
    const deadline = AbortSignal.timeout(totalMs);
    const overran = () => new ResponseTimeoutError(redact(url), totalMs);
    let res: Dispatcher.ResponseData<unknown>;
    try {
      // undici 7 follows no redirects by default
      res = await request(url, {
        method: 'GET', headers, dispatcher: this.dispatcher, signal: g.signal ? AbortSignal.any([deadline, g.signal]) : deadline,
        ...(heldMs > 0 ? { headersTimeout: this.o.headersTimeoutMs + heldMs } : {}),
      });
    } catch (err) {
      if (g.signal?.aborted) throw new RequestAbortedError(redact(url));
      if (deadline.aborted) throw overran();
      throw new FetchError(`GET ${redact(url)} failed: ${(err as Error).message}`, redact(url));
    }
    const etag = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
    const held = Number(res.headers[LONG_POLL_HEADER] ?? 0);
    const heldS = Number.isFinite(held) && held > 0 ? held : 0;
    if (res.statusCode === 304) {
      await res.body.dump();
      return { notModified: true, etag, heldS };
    }
    if (res.statusCode >= 500 || res.statusCode === 429) {
      await res.body.dump().catch(() => undefined);
      throw new FetchError(
        `GET ${redact(url)} answered ${res.statusCode}`,
        redact(url),
        res.statusCode,
        retryAfterSeconds(res.headers['retry-after']),
      );
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => undefined);
      throw new HttpStatusError(`GET ${redact(url)} answered ${res.statusCode}`, redact(url), res.statusCode);
    }
    const body = await readCapped(res, url, g.maxBytes, () => (deadline.aborted ? overran() : null));
    return { notModified: false, body, etag, contentType: String(res.headers['content-type'] ?? ''), heldS };
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/**
 * What to offer in Accept-Encoding for this URL: gzip, except `identity` when the host is a
 * loopback address (127.0.0.0/8, ::1, localhost). On one machine compression only moves work:
 * the publisher spends CPU compressing what the subscriber spends CPU inflating, to save bytes
 * that never leave the kernel (on the bench box the publisher's gzip was 1.2 s of 6.6 CPU-s of a
 * 60,000-event catch-up). Any other host, even one on the local network, still gets gzip. A
 * gzip answer is read all the same (a server may compress anyway).
 */
export function acceptEncodingFor(url: string): 'gzip' | 'identity' {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return 'gzip';
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === 'localhost' || host.endsWith('.localhost')) return 'identity';
  if (isIP(host) === 4 && host.startsWith('127.')) return 'identity';
  if (isIP(host) === 6 && (host === '::1' || /^::ffff:127\./.test(host) || /^::ffff:7f[0-9a-f]{2}:/.test(host))) return 'identity';
  return 'gzip';
}

/** Reads a body up to maxBytes (compressed and decompressed), so a hostile peer cannot exhaust memory. */
async function readCapped(
  res: Dispatcher.ResponseData<unknown>,
  url: string,
  maxBytes: number,
  overran: () => Error | null,
): Promise<string> {
  const declared = Number(res.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    res.body.destroy();
    throw new BodyTooLargeError(redact(url), maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      total += chunk.length;
      if (total > maxBytes) {
        res.body.destroy();
        throw new BodyTooLargeError(redact(url), maxBytes);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw err;
    throw overran() ?? new FetchError(`GET ${redact(url)}: body cut off: ${(err as Error).message}`, redact(url));
  }
  const raw = Buffer.concat(chunks);
  if (res.headers['content-encoding'] === 'gzip') {
    try {
      return gunzipSync(raw, { maxOutputLength: maxBytes }).toString('utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new BodyTooLargeError(redact(url), maxBytes);
      throw new FetchError(`GET ${redact(url)}: bad gzip body: ${(err as Error).message}`, redact(url));
    }
  }
  return raw.toString('utf8');
}

export class BodyTooLargeError extends HttpStatusError {
  override name = 'BodyTooLargeError';
  constructor(url: string, maxBytes: number) {
    super(`GET ${url}: body larger than ${maxBytes} bytes`, url, 200);
  }
}

/** The whole response did not arrive within the deadline (a peer trickling bytes, or a link far too slow). */
/** The caller aborted the request (the subscriber is stopping): not a failure of the peer. */
export class RequestAbortedError extends FetchError {
  override name = 'RequestAbortedError';
  constructor(url: string) {
    super(`GET ${url} aborted`, url);
  }
}

export class ResponseTimeoutError extends FetchError {
  override name = 'ResponseTimeoutError';
  constructor(url: string, ms: number) {
    super(`GET ${url}: no complete answer within ${ms} ms`, url);
  }
}

/** A URL without its credentials, for logs and error messages. */
/**
 * A URL as messages and logs show it: without credentials, and a list request's uuids cut to the
 * first few (a list of 100 is 3,700 characters, which pushed the status in "... answered 500" past
 * the 2,000 characters a marker keeps of an error).
 */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/([?&]uuids=)([^&#]*)/, (_, key: string, list: string) => {
      const uuids = list.split(',');
      return uuids.length <= SHOWN_UUIDS ? key + list : `${key}${uuids.slice(0, SHOWN_UUIDS).join(',')},...(${uuids.length - SHOWN_UUIDS} more)`;
    });
  } catch {
    return '(unparseable URL)';
  }
}

/** uuids of a list request that messages show. */
const SHOWN_UUIDS = 2;
