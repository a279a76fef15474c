// Complete archive pages served as a static file server serves files: each content coding's
// bytes are made once (in libuv's thread pool, off the event loop), and every later request only
// picks one and writes it. gzip is made when the page enters the cache if the reader it is
// rendered for asks for gzip (a subscriber on another host), else when a client first asks for it
// (a loopback subscriber asks for identity, and compressing every page for it was 0.8 of the
// publisher's 6 CPU-s in a 60,000-event catch-up); brotli only once a client asks for it (browsers
// do), which then gets gzip until it is ready. The compression middleware leaves these answers alone (isPrecompressed), so an archive
// is never compressed twice.
//
// ETags (RFC 9110 8.8.3): a strong ETag names one representation, and another content coding is
// another representation, so each coding has its own: "h" (identity, as before), "h-gzip", "h-br".
// A 304 answers for the representation the request selects, so it carries that one's ETag.
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ARCHIVE_CACHE_CONTROL } from '../shared/protocol.ts';

export type Coding = 'br' | 'gzip' | 'identity';

/** Preferred first when a client weighs several alike: the smaller bytes. */
const CODINGS: readonly Coding[] = ['br', 'gzip', 'identity'];

export interface ArchivePage {
  readonly etags: Readonly<Record<Coding, string>>;
  /** gzip when the first reader asked for it or once a client has (addGzip); br once a client has asked for it (addBrotli). */
  readonly bodies: { identity: Buffer; gzip?: Buffer; br?: Buffer };
  /** Every coding's bytes together: what the page costs the cache. */
  bytes: number;
  /** True while its brotli bytes are being made. */
  brotliPending?: boolean;
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/**
 * Settings measured on a 35 KB page of 50 entries: gzip level 6 is 2.1 KB in 0.35 ms (level 9:
 * 2.0 KB in 0.6 ms; every page a subscriber catches up through is compressed once, most read
 * once); brotli quality 5 is 1.6 KB in 0.5 ms, where quality 11 saves 0.2 KB more for 190 ms.
 */
const GZIP_OPTIONS = { level: 6 };
const BROTLI_OPTIONS = {
  params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5, [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT },
};

/** The page's identity bytes, and its gzip bytes when `withGzip`; `etag` is the identity coding's strong ETag. */
export async function encodeArchive(body: string, etag: string, withGzip = true): Promise<ArchivePage> {
  const identity = Buffer.from(body, 'utf8');
  const gz = withGzip ? await gzipAsync(identity, GZIP_OPTIONS) : undefined;
  return {
    etags: { identity: etag, gzip: codingEtag(etag, 'gzip'), br: codingEtag(etag, 'br') },
    bodies: gz ? { identity, gzip: gz } : { identity },
    bytes: identity.length + (gz?.length ?? 0),
  };
}

/** True when this Accept-Encoding takes gzip over identity: a page rendered for it is worth compressing at once. */
export function prefersGzip(acceptEncoding: string | undefined): boolean {
  const ranked = rankCodings(acceptEncoding);
  const gzip = ranked.indexOf('gzip');
  const identity = ranked.indexOf('identity');
  return gzip !== -1 && (identity === -1 || gzip < identity);
}

/** True when of the page's codings and gzip this request would be sent gzip, and the page has none yet. */
export function needsGzip(req: IncomingMessage, page: ArchivePage): boolean {
  if (page.bodies.gzip) return false;
  return rankCodings(req.headers['accept-encoding']).find((c) => c === 'gzip' || page.bodies[c] !== undefined) === 'gzip';
}

/** Makes the page's gzip bytes, once; `added` as for addBrotli. */
export async function addGzip(page: ArchivePage, added: (bytes: number) => void): Promise<void> {
  if (page.bodies.gzip) return;
  const gz = await gzipAsync(page.bodies.identity, GZIP_OPTIONS);
  if (page.bodies.gzip) return; // another request made them meanwhile
  page.bodies.gzip = gz;
  page.bytes += gz.length;
  added(gz.length);
}

/**
 * Makes the page's brotli bytes, once, and calls `added` with their length in the same step as
 * it adds them to the page, so whoever counts the page's bytes never sees one without the other.
 */
export async function addBrotli(page: ArchivePage, added: (bytes: number) => void): Promise<void> {
  if (page.bodies.br || page.brotliPending) return;
  page.brotliPending = true;
  try {
    const br = await brotliAsync(page.bodies.identity, BROTLI_OPTIONS);
    page.bodies.br = br;
    page.bytes += br.length;
    added(br.length);
  } finally {
    page.brotliPending = false;
  }
}

/** `"h"` becomes `"h-gzip"`: still strong, and never equal to another coding's. */
function codingEtag(etag: string, coding: Coding): string {
  return `${etag.slice(0, -1)}-${coding}"`;
}

/** Responses sendArchivePage answered: the compression middleware must not encode them again (server.ts). */
const precompressed = new WeakSet<ServerResponse>();

/** True for an archive answer: even its identity coding, which a client that accepts only deflate would otherwise get deflated under the identity's ETag. */
export function isPrecompressed(res: ServerResponse): boolean {
  return precompressed.has(res);
}

/**
 * Sends the coding the client accepts best of those the page has, or 304 when it already holds
 * that one. `wantBrotli` is called when the client would rather have brotli bytes the page lacks.
 */
export function sendArchivePage(req: IncomingMessage, res: ServerResponse, page: ArchivePage, wantBrotli?: () => void): void {
  precompressed.add(res);
  const ranked = rankCodings(req.headers['accept-encoding']);
  const coding = ranked.find((c) => page.bodies[c] !== undefined) ?? 'identity';
  if (ranked[0] === 'br' && coding !== 'br') wantBrotli?.();
  const etag = page.etags[coding];
  res.setHeader('Cache-Control', ARCHIVE_CACHE_CONTROL);
  res.setHeader('ETag', etag);
  if (notModified(req, etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  if (coding !== 'identity') res.setHeader('Content-Encoding', coding);
  const body = page.bodies[coding]!;
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/** True when If-None-Match names `etag` or is `*` (weak comparison, RFC 9110 13.1.2: W/ is ignored). */
export function notModified(req: IncomingMessage, etag: string): boolean {
  const inm = req.headers['if-none-match'];
  if (!inm) return false;
  if (inm === etag) return true; // what a client that stored the ETag sends: no parsing
  return inm.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || (tag.startsWith('W/') ? tag.slice(2) : tag) === etag;
  });
}

/** A client sends the same Accept-Encoding every time: each distinct header is parsed once. */
const ranks = new Map<string, readonly Coding[]>();
const RANKS_MAX = 256;
const IDENTITY_ONLY: readonly Coding[] = ['identity'];

/** The codings this Accept-Encoding accepts, best first (RFC 9110 12.5.3); identity alone without the header. */
export function rankCodings(header: string | undefined): readonly Coding[] {
  if (!header) return IDENTITY_ONLY;
  let ranked = ranks.get(header);
  if (ranked === undefined) {
    ranked = rankOf(header);
    if (ranks.size >= RANKS_MAX) ranks.clear(); // headers are client-chosen: bounded
    ranks.set(header, ranked);
  }
  return ranked;
}

/** The best coding for this Accept-Encoding of all we can make. */
export function negotiateCoding(header: string): Coding {
  return rankCodings(header)[0] ?? 'identity';
}

/**
 * Acceptable codings by weight; br before gzip before identity among equals. A coding is
 * acceptable when listed or covered by `*` with q > 0; identity also when not mentioned at all.
 * When nothing is acceptable, identity is sent anyway (RFC 9110 allows it rather than refusing).
 */
function rankOf(header: string): readonly Coding[] {
  const weights = new Map<string, number>();
  for (const part of header.toLowerCase().split(',')) {
    const [name = '', ...params] = part.split(';');
    const coding = name.trim();
    if (!coding) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]{1,5})\s*$/.exec(p);
      if (m) q = Number(m[1]);
    }
    weights.set(coding === 'x-gzip' ? 'gzip' : coding, Number.isFinite(q) ? q : 0);
  }
  const star = weights.get('*');
  const weightOf = (c: Coding) => weights.get(c) ?? star ?? (c === 'identity' ? 1 : 0);
  // A stable sort keeps CODINGS' order among equal weights.
  return CODINGS.filter((c) => weightOf(c) > 0).sort((a, b) => weightOf(b) - weightOf(a));
}
