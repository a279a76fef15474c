// The file a site without a network carries: a bundle of changes one node exports for a peer, or
// the acknowledgement the peer writes back. Both sides use this module; nothing else reads the
// format.
//
// A file is three lines and a body:
//   ATOMSYNC-BUNDLE 1            (or ATOMSYNC-ACK 1)
//   {header JSON}                origin, peer, positions, counts, the body's length and SHA-256
//   {HMAC-SHA256 of the header}  hex, with the key the two nodes share
//   body                         gzip of JSON lines (a bundle); empty (an acknowledgement)
// The tag covers the header, the header covers the body: a file from anyone without the key, or
// changed on the way by a single byte, or cut short, is refused whole before anything is applied.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { FeedEvent } from '../feed-types.ts';

export const BUNDLE_MAGIC = 'ATOMSYNC-BUNDLE 1';
export const ACK_MAGIC = 'ATOMSYNC-ACK 1';

export interface BundleHeader {
  kind: 'bundle';
  /** One id for every part of one export. */
  exportId: string;
  /** The node that exported it, and the node it is for. */
  origin: string;
  peer: string;
  /** Which part of the export this is, from 1, of `parts`. */
  part: number;
  parts: number;
  /** Positions in the origin's log (atomsync_event seq): after `from`, up to and including `to`. */
  from: number;
  to: number;
  events: number;
  resources: number;
  bodyBytes: number;
  bodySha256: string;
  createdAt: string;
}

export interface AckHeader {
  kind: 'ack';
  /** The node that imported (and so acknowledges), and the node whose changes it holds. */
  origin: string;
  peer: string;
  /** Every change of `peer` up to this position is applied (or held for a retry) at `origin`. */
  to: number;
  exportId: string;
  createdAt: string;
}

/** One resource state a bundle carries: those its events name, and what they refer to. */
export interface BundleResource {
  resource: string;
  uuid: string;
  rep: Record<string, unknown>;
}

export interface BundleBody {
  events: FeedEvent[];
  resources: BundleResource[];
}

/** A file that is not a sound bundle or acknowledgement from a holder of the key: nothing in it is used. */
export class BundleRefusedError extends Error {
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(`${file}: refused: ${why}`);
    this.name = 'BundleRefusedError';
  }
}

const tagOf = (key: Buffer, header: string) => createHmac('sha256', key).update(header).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The key two nodes share, from its text (at least 16 characters: a passphrase, or random hex). */
export function bundleKey(text: string | undefined): Buffer {
  const t = (text ?? '').trim();
  if (t.length < 16) throw new Error('a bundle key of at least 16 characters is needed (--key-file, or ATOMSYNC_BUNDLE_KEY); both nodes use the same one');
  return Buffer.from(t, 'utf8');
}

export function encodeBundle(key: Buffer, h: Omit<BundleHeader, 'kind' | 'bodyBytes' | 'bodySha256'>, body: BundleBody): Buffer {
  const lines = [...body.events.map((e) => JSON.stringify({ e })), ...body.resources.map((r) => JSON.stringify({ r }))];
  const gz = gzipSync(Buffer.from(lines.join('\n'), 'utf8'));
  const header = JSON.stringify({ kind: 'bundle', ...h, bodyBytes: gz.length, bodySha256: sha256(gz) } satisfies BundleHeader);
  return Buffer.concat([Buffer.from(`${BUNDLE_MAGIC}\n${header}\n${tagOf(key, header)}\n`, 'utf8'), gz]);
}

export function encodeAck(key: Buffer, h: Omit<AckHeader, 'kind'>): Buffer {
  const header = JSON.stringify({ kind: 'ack', ...h } satisfies AckHeader);
  return Buffer.from(`${ACK_MAGIC}\n${header}\n${tagOf(key, header)}\n`, 'utf8');
}

/** The same bundle with some header fields changed and signed again; the body is left as it is. */
export function reheader(key: Buffer, bytes: Buffer, patch: Partial<Pick<BundleHeader, 'part' | 'parts'>>): Buffer {
  const a = bytes.indexOf(0x0a);
  const b = bytes.indexOf(0x0a, a + 1);
  const c = bytes.indexOf(0x0a, b + 1);
  const header = JSON.stringify({ ...(JSON.parse(bytes.subarray(a + 1, b).toString('utf8')) as BundleHeader), ...patch });
  return Buffer.concat([Buffer.from(`${BUNDLE_MAGIC}\n${header}\n${tagOf(key, header)}\n`, 'utf8'), bytes.subarray(c + 1)]);
}

export type Decoded = { kind: 'bundle'; header: BundleHeader; body: BundleBody } | { kind: 'ack'; header: AckHeader };

/** Reads and checks a file's three lines; the body is checked and unpacked only for a bundle. */
export function decodeFile(file: string, bytes: Buffer, key: Buffer): Decoded {
  const refuse = (why: string): never => {
    throw new BundleRefusedError(file, why);
  };
  const lineEnd = (from: number) => {
    const i = bytes.indexOf(0x0a, from);
    if (i < 0 || i - from > 64 * 1024) refuse('not an atomsync bundle or acknowledgement (no header), or cut short');
    return i;
  };
  const a = lineEnd(0);
  const magic = bytes.subarray(0, a).toString('utf8');
  if (magic !== BUNDLE_MAGIC && magic !== ACK_MAGIC) refuse('not an atomsync bundle or acknowledgement');
  const b = lineEnd(a + 1);
  const c = lineEnd(b + 1);
  const header = bytes.subarray(a + 1, b).toString('utf8');
  const tag = Buffer.from(bytes.subarray(b + 1, c).toString('utf8'), 'hex');
  const want = Buffer.from(tagOf(key, header), 'hex');
  if (tag.length !== want.length || !timingSafeEqual(tag, want)) refuse('its authentication tag does not match: made with another key, or altered');
  let h: BundleHeader | AckHeader;
  try {
    h = JSON.parse(header) as BundleHeader | AckHeader;
  } catch {
    return refuse('its header is not JSON');
  }
  const rest = bytes.subarray(c + 1);
  if (magic === ACK_MAGIC || h.kind === 'ack') {
    if (magic !== ACK_MAGIC || h.kind !== 'ack' || rest.length > 0) refuse('a malformed acknowledgement');
    return { kind: 'ack', header: h as AckHeader };
  }
  const bh = h as BundleHeader;
  if (rest.length !== bh.bodyBytes) refuse(`its body has ${rest.length} bytes, the header says ${bh.bodyBytes}: cut short or padded`);
  if (sha256(rest) !== bh.bodySha256) refuse('its body does not match the checksum in its header: damaged');
  return { kind: 'bundle', header: bh, body: unpack(file, rest, bh) };
}

function unpack(file: string, gz: Buffer, h: BundleHeader): BundleBody {
  const body: BundleBody = { events: [], resources: [] };
  for (const line of gunzipSync(gz).toString('utf8').split('\n')) {
    if (!line) continue;
    const o = JSON.parse(line) as { e?: FeedEvent; r?: BundleResource };
    if (o.e) body.events.push(o.e);
    else if (o.r) body.resources.push(o.r);
  }
  if (body.events.length !== h.events || body.resources.length !== h.resources) {
    throw new BundleRefusedError(file, `it holds ${body.events.length} events and ${body.resources.length} resources, the header says ${h.events} and ${h.resources}`);
  }
  return body;
}
