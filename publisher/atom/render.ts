// FeedPageModel -> Atom document (RFC 4287 + RFC 5005 paging + atomsync's
// sync:* elements), in the shape ICT4H atomfeed clients read.
//
// Written by hand from a template rather than with the `feed` package: feed's
// serializer loses or breaks some values (see "Why not the feed package" in
// SPEC.md), and a complete page is cached forever, so the bytes must be right
// the first time. Every value taken from the model is escaped in one place
// (the "escaping" section below). The document used to be serialized by
// fast-xml-parser's XMLBuilder, which cost milliseconds per page during a
// catch-up; the template writes the very same bytes, and test/atom.test.ts
// renders random and hostile models with both (the builder version lives on in
// test/helpers/render-reference.ts) and requires them to be equal.
//
// Deterministic: the output depends on the model alone (no clock, no random
// ids, attributes in a fixed order), because complete pages are served with a
// strong ETag computed from these bytes.
import { Actions, ATOM_MEDIA_TYPE, ATOM_NS, ATOMFEED_CONTENT_TYPE, CATCHMENT_PREFIX, entryId, FEED_GENERATOR, feedPageUrl, FH_NS, FH_PREFIX, RECENT, Rel, restPath, SYNC_NS, SYNC_PREFIX, SyncElement, trimSlashes } from '../../shared/protocol.ts';
import type { FeedEvent, FeedPageModel } from '../../shared/feed-types.ts';
import { FeedRenderError } from './render-error.ts';

export { FeedRenderError } from './render-error.ts';

// ---- escaping --------------------------------------------------------------
// The only place model values are turned into markup. The rules are the ones
// fast-xml-parser's builder applied, kept so pages rendered before and after
// the switch are the same bytes (their ETags must not change):
// - text and attribute values: & < > ' " as the five predefined entities
//   (more than XML needs, but what the builder wrote);
// - characters XML 1.0 cannot carry at all, not even as references (C0
//   controls other than tab/CR/LF, lone surrogates, U+FFFE/U+FFFF), become
//   U+FFFD so the document stays well-formed;
// - an element whose text is empty is written as an empty-element tag.

/** Cheap first look: true when `s` may hold anything the escapers change (also true for valid surrogate pairs). */
const MAY_NEED_ESCAPE = /[&<>"'\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const MARKUP_OR_NOT_XML_CHAR = /[&<>"']|[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const ENTITY = new Map([
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ["'", '&apos;'],
  ['"', '&quot;'],
]);

/** A text or attribute value, escaped. */
function escapeValue(s: string): string {
  if (!MAY_NEED_ESCAPE.test(s)) return s;
  return s.replace(MARKUP_OR_NOT_XML_CHAR, (c) => ENTITY.get(c) ?? '\uFFFD');
}

/** ` name="value"`, with the value escaped. */
export function attribute(name: string, value: string): string {
  return ` ${name}="${escapeValue(value)}"`;
}

/** `<name attrs>text</name>`, or `<name attrs/>` when the text is empty. `attrs` is already markup. */
export function textElement(name: string, text: string, attrs = ''): string {
  const value = escapeValue(text);
  return value === '' ? `<${name}${attrs}/>` : `<${name}${attrs}>${value}</${name}>`;
}

/**
 * A CDATA section holding `s` verbatim. A `]]>` inside is split across two
 * sections so it cannot end the first early. (restPath percent-encodes both
 * `]` and `>`, so entry content never holds one today; the split keeps the
 * document well-formed whatever the content becomes.)
 */
export function cdataSection(s: string): string {
  const chars = MAY_NEED_ESCAPE.test(s) ? s.replace(NOT_XML_CHAR, '\uFFFD') : s;
  return `<![CDATA[${chars.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

// ---- the document ----------------------------------------------------------

// Element-only content is indented by two spaces a level; text and CDATA
// content never is, so no whitespace ends up in a value (the REST path).
/** New line for a child of <feed>. */
const DEPTH_1 = '\n  ';
/** New line for a child of <entry> or <author>. */
const DEPTH_2 = '\n    ';

// The parts that do not depend on the model, built once (and escaped like any value).
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
const FEED_OPEN = `<feed${attribute('xmlns', ATOM_NS)}${attribute(`xmlns:${FH_PREFIX}`, FH_NS)}${attribute(`xmlns:${SYNC_PREFIX}`, SYNC_NS)}>`;
const FEED_CLOSE = '\n</feed>\n';
const TYPE_TEXT = attribute('type', 'text');
const GENERATOR = textElement('generator', FEED_GENERATOR);
const ARCHIVE = `<${FH_PREFIX}:archive/>`;
const ALTERNATE = attribute('rel', Rel.alternate);
const CONTENT_OPEN = `<content${attribute('type', ATOMFEED_CONTENT_TYPE)}>`;
const SEQ = `${SYNC_PREFIX}:${SyncElement.seq}`;
const POSITION = `${SYNC_PREFIX}:${SyncElement.position}`;
const ORIGIN = `${SYNC_PREFIX}:${SyncElement.origin}`;

/** Renders one feed document. Throws FeedRenderError when the model breaks the paging rules. */
export function renderFeedPage(m: FeedPageModel): string {
  checkFeedPageModel(m);
  const baseUrl = trimSlashes(m.baseUrl);
  // Ascending: atomfeed clients process a page in document order and resume
  // after the last entry they read, so the oldest event must come first.
  // In position order: seq order too, except in a catchment's feed (SPEC.md, "Catchments").
  const events = [...m.events].sort((a, b) => a.position - b.position);
  let xml = XML_DECLARATION + FEED_OPEN + renderHead(m, baseUrl);
  for (const e of events) xml += renderEntry(e, baseUrl);
  return xml + FEED_CLOSE;
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

/** The feed's own elements, before its entries. */
function renderHead(m: FeedPageModel, baseUrl: string): string {
  let head =
    DEPTH_1 + textElement('id', m.feedId) +
    DEPTH_1 + textElement('title', `atomsync ${m.nodeId} ${m.category}`, TYPE_TEXT) +
    DEPTH_1 + textElement('updated', m.updated) +
    DEPTH_1 + '<author>' + DEPTH_2 + textElement('name', m.nodeId) + DEPTH_1 + '</author>' +
    DEPTH_1 + GENERATOR;
  for (const [rel, href] of feedLinks(m, baseUrl)) {
    head += `${DEPTH_1}<link${attribute('rel', rel)}${attribute('type', ATOM_MEDIA_TYPE)}${attribute('href', href)}/>`;
  }
  // A complete page says so (RFC 5005), and will never change.
  if (m.page < m.newestPage) head += DEPTH_1 + ARCHIVE;
  return head;
}

function renderEntry(e: FeedEvent, baseUrl: string): string {
  const path = restPath(e.resource, e.uuid);
  return (
    DEPTH_1 + '<entry>' +
    DEPTH_2 + textElement('id', entryId(e.eventUuid)) +
    DEPTH_2 + textElement('title', capitalise(e.resource), TYPE_TEXT) +
    DEPTH_2 + textElement('updated', e.changedAt) +
    DEPTH_2 + textElement('published', e.publishedAt) +
    DEPTH_2 + `<category${attribute('term', e.resource)}/>` +
    DEPTH_2 + `<category${attribute('term', e.action)}/>` +
    DEPTH_2 + `<link${ALTERNATE}${attribute('href', baseUrl + path)}/>` +
    DEPTH_2 + CONTENT_OPEN + cdataSection(path) + '</content>' +
    DEPTH_2 + textElement(SEQ, String(e.seq)) +
    DEPTH_2 + textElement(POSITION, String(e.position)) +
    DEPTH_2 + textElement(ORIGIN, e.origin) +
    DEPTH_1 + '</entry>'
  );
}

/** atomfeed titles an entry with its category capitalised ("Patient"). */
function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
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
  if (m.firstPosition !== undefined && (!Number.isSafeInteger(m.firstPosition) || m.firstPosition < 1)) {
    fail(`firstPosition must be an integer from 1 (got ${m.firstPosition})`);
  }
  if (m.page > m.newestPage) fail(`page ${m.page} is past the newest page ${m.newestPage}`);
  if (m.asRecent && m.page !== m.newestPage) fail(`recent must be the newest page ${m.newestPage}`);
  if (!URL.canParse(m.baseUrl)) fail(`baseUrl ${JSON.stringify(m.baseUrl)} is not an absolute URL`);
  if (!RFC3339.test(m.updated)) fail(`updated ${JSON.stringify(m.updated)} is not an RFC 3339 date-time`);
  checkEvents(m, fail);
}

function checkEvents(m: FeedPageModel, fail: (msg: string) => never): void {
  // A page holds positions first .. first+size-1, and a complete page holds all of them:
  // a short complete page would be cached forever with events missing.
  const first = firstPositionOf(m);
  const last = first + m.pageSize - 1;
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
  // Not in a catchment's: a patient entering it brings older events after newer ones.
  if (m.category.startsWith(CATCHMENT_PREFIX)) return;
  const bySeq = [...m.events].sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < bySeq.length; i++) {
    if (bySeq[i]!.position < bySeq[i - 1]!.position) fail(`positions are not in seq order at seq ${bySeq[i]!.seq}`);
  }
}

/** The page's first position: given by its feed's layout, or (page-1)*pageSize+1 for a feed of one page size. */
export function firstPositionOf(m: FeedPageModel): number {
  return m.firstPosition ?? (m.page - 1) * m.pageSize + 1;
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
