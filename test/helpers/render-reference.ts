// The feed renderer as it was before publisher/atom/render.ts wrote the document
// by hand: an element tree serialized by fast-xml-parser's XMLBuilder. Kept
// for tests only, as the reference the hand-written renderer must match byte
// for byte (complete pages are cached forever under an ETag of their bytes),
// and for tools/bench/render-bench.ts to measure against.
//
// The model checks and the link table are shared with render.ts: what is
// compared here is the serialization, not the paging rules.
import { XMLBuilder } from 'fast-xml-parser';
import { ATOM_MEDIA_TYPE, ATOM_NS, ATOMFEED_CONTENT_TYPE, entryId, FEED_GENERATOR, FH_NS, FH_PREFIX, Rel, restPath, SYNC_NS, SYNC_PREFIX, SyncElement, trimSlashes } from '../../shared/protocol.ts';
import type { FeedEvent, FeedPageModel } from '../../shared/feed-types.ts';
import { checkFeedPageModel, feedLinks } from '../../publisher/atom/render.ts';

/** A node of the document before serialization. */
export interface El {
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

/** renderFeedPage as fast-xml-parser's builder writes it. */
export function renderFeedPageWithBuilder(m: FeedPageModel): string {
  checkFeedPageModel(m);
  const baseUrl = trimSlashes(m.baseUrl);
  const complete = m.page < m.newestPage;
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

/** One element as the builder writes it, to compare the hand-written escapers with value by value. */
export function elementWithBuilder(el: El): string {
  return builder.build([toBuilderTree(el, 0)]);
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

// Characters XML 1.0 cannot carry at all become U+FFFD; the builder escapes markup characters.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function xmlChars(s: string): string {
  return s.replace(NOT_XML_CHAR, '\uFFFD');
}
