// FeedPageModel -> Atom document (RFC 4287 + RFC 5005 paging + atomsync's
// sync:* elements), in the shape ICT4H atomfeed clients read.
//
// Built with fast-xml-parser's XMLBuilder rather than the `feed` package:
// feed's serializer loses or breaks some values (see "Why not the feed
// package" in SPEC.md), and a complete page is cached forever, so the bytes
// must be right the first time.
//
// Deterministic: the output depends on the model alone (no clock, no random
// ids, attributes in a fixed order), because complete pages are served with a
// strong ETag computed from these bytes.
import { XMLBuilder } from 'fast-xml-parser';
import {
  ATOM_MEDIA_TYPE,
  ATOM_NS,
  ATOMFEED_CONTENT_TYPE,
  Actions,
  FEED_GENERATOR,
  FH_NS,
  FH_PREFIX,
  RECENT,
  Rel,
  SYNC_NS,
  SYNC_PREFIX,
  SyncElement,
} from '../constants.ts';
import type { FeedEvent, FeedPageModel } from '../feed-types.ts';
import { FeedRenderError } from './errors.ts';
import { entryId, feedPageUrl, restPath, trimSlashes } from './urls.ts';

export { FeedRenderError } from './errors.ts';

/** A node of the document before serialization. */
interface El {
  name: string;
  attrs?: Record<string, string>;
  children?: El[];
  text?: string;
  cdata?: string;
}

const INDENT = '  ';

const builder = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  // Indentation is added by toBuilderTree: the builder's own `format` puts
  // whitespace between a CDATA section and its closing tag, which would end
  // up in the entry's content (the REST path).
  format: false,
  suppressEmptyNode: true,
  cdataPropName: '#cdata',
  processEntities: true,
});

/** Renders one feed document. Throws FeedRenderError when the model breaks the paging rules. */
export function renderFeedPage(m: FeedPageModel): string {
  checkFeedPageModel(m);
  const baseUrl = trimSlashes(m.baseUrl);
  const complete = m.page < m.newestPage;
  // Ascending: atomfeed clients process a page in document order and resume
  // after the last entry they read, so the oldest event must come first.
  const events = [...m.events].sort((a, b) => a.seq - b.seq);

  const head: El[] = [
    { name: 'id', text: m.feedId },
    { name: 'title', attrs: { type: 'text' }, text: `atomsync ${m.nodeId} ${m.category}` },
    { name: 'updated', text: m.updated },
    { name: 'author', children: [{ name: 'name', text: m.nodeId }] },
    { name: 'generator', text: FEED_GENERATOR },
    ...feedLinks(m, baseUrl).map(([rel, href]) => ({ name: 'link', attrs: { rel, type: ATOM_MEDIA_TYPE, href } })),
  ];
  if (complete) head.push({ name: `${FH_PREFIX}:archive` });

  const feed: El = {
    name: 'feed',
    attrs: { xmlns: ATOM_NS, [`xmlns:${FH_PREFIX}`]: FH_NS, [`xmlns:${SYNC_PREFIX}`]: SYNC_NS },
    children: [...head, ...events.map((e) => renderEntry(e, baseUrl))],
  };
  const declaration = { '?xml': [{ '#text': '' }], ':@': { '@_version': '1.0', '@_encoding': 'UTF-8' } };
  return builder.build([declaration, { '#text': '\n' }, toBuilderTree(feed, 0), { '#text': '\n' }]);
}

/** [rel, href] of the document's links, in a fixed order. See the link table in SPEC.md. */
export function feedLinks(m: FeedPageModel, baseUrl = trimSlashes(m.baseUrl)): Array<[string, string]> {
  const url = (page: number | typeof RECENT) => feedPageUrl(baseUrl, m.category, page);
  const links: Array<[string, string]> = [
    [Rel.self, url(m.asRecent ? RECENT : m.page)],
    [Rel.via, url(m.page)],
  ];
  if (m.page < m.newestPage) links.push([Rel.current, url(RECENT)]);
  if (m.page > 1) links.push([Rel.prevArchive, url(m.page - 1)]);
  if (m.page < m.newestPage) links.push([Rel.nextArchive, url(m.page + 1)]);
  return links;
}

function renderEntry(e: FeedEvent, baseUrl: string): El {
  const path = restPath(e.resource, e.uuid);
  return {
    name: 'entry',
    children: [
      { name: 'id', text: entryId(e.eventUuid) },
      { name: 'title', attrs: { type: 'text' }, text: capitalise(e.resource) },
      { name: 'updated', text: e.changedAt },
      { name: 'published', text: e.publishedAt },
      { name: 'category', attrs: { term: e.resource } },
      { name: 'category', attrs: { term: e.action } },
      { name: 'link', attrs: { rel: Rel.alternate, href: baseUrl + path } },
      { name: 'content', attrs: { type: ATOMFEED_CONTENT_TYPE }, cdata: path },
      { name: `${SYNC_PREFIX}:${SyncElement.seq}`, text: String(e.seq) },
      { name: `${SYNC_PREFIX}:${SyncElement.position}`, text: String(e.position) },
      { name: `${SYNC_PREFIX}:${SyncElement.origin}`, text: e.origin },
    ],
  };
}

/** atomfeed titles an entry with its category capitalised ("Patient"). */
function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

type BuilderNode = Record<string, unknown>;

/** Converts to fast-xml-parser's ordered form, indenting element-only content with whitespace text nodes. */
function toBuilderTree(el: El, depth: number): BuilderNode {
  let content: BuilderNode[] = [];
  if (el.text !== undefined) content = [{ '#text': xmlChars(el.text) }];
  else if (el.cdata !== undefined) content = [{ '#cdata': [{ '#text': xmlChars(el.cdata) }] }];
  else if (el.children?.length) {
    const pad = '\n' + INDENT.repeat(depth + 1);
    for (const child of el.children) content.push({ '#text': pad }, toBuilderTree(child, depth + 1));
    content.push({ '#text': '\n' + INDENT.repeat(depth) });
  }
  const node: BuilderNode = { [el.name]: content };
  if (el.attrs) {
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(el.attrs)) attrs[`@_${k}`] = xmlChars(v);
    node[':@'] = attrs;
  }
  return node;
}

// Characters XML 1.0 cannot carry at all, not even as references (C0 controls
// other than tab/CR/LF, lone surrogates, U+FFFE/U+FFFF). The builder escapes
// markup characters; these become U+FFFD so the document stays well-formed.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function xmlChars(s: string): string {
  return s.replace(NOT_XML_CHAR, '\uFFFD');
}

// ---- model checks ----------------------------------------------------------

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Throws FeedRenderError when the model breaks the paging rules; any other rendering of a page (HTML) checks it too. */
export function checkFeedPageModel(m: FeedPageModel): void {
  const fail = (msg: string): never => {
    throw new FeedRenderError(`cannot render ${m.category}/${m.asRecent ? RECENT : m.page}: ${msg}`);
  };
  for (const k of ['nodeId', 'feedId', 'category'] as const) {
    if (typeof m[k] !== 'string' || m[k] === '') fail(`${k} must be a non-empty string`);
  }
  for (const k of ['page', 'newestPage', 'pageSize'] as const) {
    if (!Number.isSafeInteger(m[k]) || m[k] < 1) fail(`${k} must be an integer from 1 (got ${m[k]})`);
  }
  if (m.page > m.newestPage) fail(`page ${m.page} is past the newest page ${m.newestPage}`);
  if (m.asRecent && m.page !== m.newestPage) fail(`recent must be the newest page ${m.newestPage}`);
  if (!URL.canParse(m.baseUrl)) fail(`baseUrl ${JSON.stringify(m.baseUrl)} is not an absolute URL`);
  if (!RFC3339.test(m.updated)) fail(`updated ${JSON.stringify(m.updated)} is not an RFC 3339 date-time`);
  checkEvents(m, fail);
}

function checkEvents(m: FeedPageModel, fail: (msg: string) => never): void {
  // Page n holds positions (n-1)*size+1 .. n*size, and a complete page holds all of them:
  // a short complete page would be cached forever with events missing.
  const first = (m.page - 1) * m.pageSize + 1;
  const last = m.page * m.pageSize;
  const complete = m.page < m.newestPage;
  if (m.events.length > m.pageSize) fail(`${m.events.length} events on a page of ${m.pageSize}`);
  if (complete && m.events.length !== m.pageSize) {
    fail(`complete page has ${m.events.length} events, expected ${m.pageSize}`);
  }
  const positions = new Set<number>();
  const seqs = new Set<number>();
  for (const e of m.events) {
    const what = `event ${e.eventUuid}`;
    if (!Number.isSafeInteger(e.seq) || e.seq < 0) fail(`${what} has seq ${e.seq}`);
    if (!Number.isSafeInteger(e.position) || e.position < first || e.position > last) {
      fail(`${what} has position ${e.position}, outside ${first}..${last}`);
    }
    if (positions.has(e.position)) fail(`position ${e.position} appears twice`);
    if (seqs.has(e.seq)) fail(`seq ${e.seq} appears twice`);
    positions.add(e.position);
    seqs.add(e.seq);
    checkEventFields(e, fail);
  }
  // Positions follow seq within a feed; if they disagreed, ascending seq would not be ascending position.
  const bySeq = [...m.events].sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < bySeq.length; i++) {
    if (bySeq[i]!.position < bySeq[i - 1]!.position) fail(`positions are not in seq order at seq ${bySeq[i]!.seq}`);
  }
}

function checkEventFields(e: FeedEvent, fail: (msg: string) => never): void {
  const what = `event ${e.eventUuid}`;
  if (typeof e.eventUuid !== 'string' || e.eventUuid === '') fail(`an event has no eventUuid`);
  if (typeof e.resource !== 'string' || e.resource === '') fail(`${what} has no resource`);
  if (typeof e.uuid !== 'string' || e.uuid === '') fail(`${what} has no uuid`);
  if (typeof e.origin !== 'string') fail(`${what} has no origin`);
  if (!(Actions as readonly string[]).includes(e.action)) fail(`${what} has unknown action ${JSON.stringify(e.action)}`);
  if (!RFC3339.test(e.changedAt)) fail(`${what} changedAt ${JSON.stringify(e.changedAt)} is not RFC 3339`);
  if (!RFC3339.test(e.publishedAt)) fail(`${what} publishedAt ${JSON.stringify(e.publishedAt)} is not RFC 3339`);
}
