// Atom document -> ParsedPage. Reads atomsync pages and ICT4H atomfeed pages
// (Bahmni, the OpenMRS atomfeed module) alike; the sync:* elements are
// optional. Whether the Atom namespace is the default one or prefixed makes no
// difference: elements are matched by namespace URI, never by prefix.
import { Actions, ATOM_NS, eventUuidOf, FH_NS, MAX_FEED_BYTES, Rel, SYNC_NS, SyncElement } from '../../shared/protocol.ts';
import type { ParsedEntry, ParsedPage } from '../../shared/feed-types.ts';
import { FeedParseError } from './parse-error.ts';
import { readXml } from './xml-read.ts';
import type { XmlElement } from './xml-read.ts';

export { FeedParseError } from './parse-error.ts';
export type { XmlElement } from './xml-read.ts';
export type { ParsedEntry, ParsedPage } from '../../shared/feed-types.ts';

export interface ParseFeedOptions {
  /** Largest document accepted, in bytes of UTF-8. Default MAX_FEED_BYTES (5 MB). */
  maxBytes?: number;
  /** Where the document came from: named in errors, and the base for relative link hrefs. */
  url?: string;
}

/**
 * Parses one feed document. Throws FeedParseError when the text is not XML,
 * is unsafe (DOCTYPE, entities) or too large, is not an Atom feed, or has an
 * entry without id, title, updated or content, or two entries with one id.
 */
export function parseFeedPage(xml: string, opts: ParseFeedOptions = {}): ParsedPage {
  const { url } = opts;
  const root = readXml(xml, { maxBytes: opts.maxBytes ?? MAX_FEED_BYTES, url });
  if (root.ns !== ATOM_NS || root.local !== 'feed') {
    const found = root.ns ? `{${root.ns}}${root.local}` : root.qname;
    throw new FeedParseError(`root element is not an Atom feed (found <${found}>)`, { url });
  }
  const need = (name: string) => {
    const v = atomText(root, name);
    if (v === undefined) throw new FeedParseError(`feed has no ${name}`, { url });
    return v;
  };
  const page: ParsedPage = {
    id: need('id'),
    title: need('title'),
    updated: need('updated'),
    links: readLinks(root, url),
    archive: root.children.some((c) => c.ns === FH_NS && c.local === 'archive'),
    entries: [],
  };

  const seen = new Map<string, number>();
  atomChildren(root, 'entry').forEach((el, i) => {
    const entry = parseEntry(el, i + 1, url);
    const first = seen.get(entry.id);
    if (first !== undefined) {
      throw new FeedParseError(`entries ${first} and ${i + 1} have the same id ${entry.id}`, {
        url,
        entryIndex: i + 1,
        entryId: entry.id,
      });
    }
    seen.set(entry.id, i + 1);
    page.entries.push(entry);
  });
  return page;
}

/**
 * Reads one atom:entry. `index` is its 1-based position in the document, for
 * error messages. `eventUuid` is empty when the id is not in atomfeed's
 * `tag:atomfeed.ict4h.org:` scheme. `action` is the first category after the
 * resource that names an action, so a non-action tag (as atomfeed servers may
 * add) is never mistaken for one.
 */
export function parseEntry(el: XmlElement, index: number, url?: string): ParsedEntry {
  const fail = (msg: string, entryId?: string): never => {
    throw new FeedParseError(`entry ${index} ${msg}`, { url, entryIndex: index, entryId });
  };
  // One pass over the children: the first Atom element of each name, every category, the
  // first sync element of each name (a page holds thousands of entries).
  const atom = new Map<string, XmlElement>();
  const sync = new Map<string, XmlElement>();
  const categories: string[] = [];
  let ids = 0;
  for (const c of el.children) {
    if (c.ns === ATOM_NS) {
      if (c.local === 'id') ids++;
      if (c.local === 'category') {
        const term = c.attrs.term;
        if (term !== undefined && term !== '') categories.push(term);
      } else if (!atom.has(c.local)) atom.set(c.local, c);
    } else if (c.ns === SYNC_NS && !sync.has(c.local)) sync.set(c.local, c);
  }
  if (ids === 0) fail('has no id');
  if (ids > 1) fail('has more than one id');
  const id = atom.get('id')!.text.trim();
  if (id === '') fail('has an empty id');
  const need = (name: string) => atom.get(name)?.text.trim() ?? fail(`has no ${name}`, id);

  const title = need('title');
  const updated = need('updated');
  const contentEl = atom.get('content') ?? fail('has no content', id);
  const contentPath = (contentEl.text.trim() || contentEl.attrs.src?.trim()) ?? '';
  if (contentPath === '') fail('has empty content', id);

  const entry: ParsedEntry = {
    id,
    eventUuid: eventUuidOf(id) ?? '',
    title,
    updated,
    categories,
    contentType: contentEl.attrs.type?.trim() || 'text',
    contentPath,
  };
  const published = atom.get('published')?.text.trim();
  if (published !== undefined) entry.published = published;
  if (categories[0] !== undefined) entry.resource = categories[0];
  const action = categories.slice(1).find((t) => (Actions as readonly string[]).includes(t));
  if (action !== undefined) entry.action = action;

  for (const key of ['seq', 'position'] as const) {
    const raw = sync.get(SyncElement[key])?.text.trim();
    if (raw === undefined) continue;
    const n = /^[0-9]{1,16}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n)) fail(`has an invalid sync:${key} ${JSON.stringify(raw.slice(0, 40))}`, id);
    entry[key] = n;
  }
  const origin = sync.get(SyncElement.origin)?.text.trim();
  if (origin !== undefined) entry.origin = origin;
  return entry;
}

function atomChildren(el: XmlElement, local: string): XmlElement[] {
  return el.children.filter((c) => c.ns === ATOM_NS && c.local === local);
}

/** Trimmed text of the first Atom child of that name, or undefined when there is none. */
function atomText(el: XmlElement, local: string): string | undefined {
  return atomChildren(el, local)[0]?.text.trim();
}

/** href by rel (RFC 4287: no rel means alternate); the first link of a rel wins. */
function readLinks(root: XmlElement, base?: string): Record<string, string> {
  const links: Record<string, string> = {};
  for (const l of atomChildren(root, 'link')) {
    const rel = l.attrs.rel?.trim() || Rel.alternate;
    const href = l.attrs.href?.trim();
    if (!href || Object.hasOwn(links, rel)) continue;
    const value = base && !URL.canParse(href) && URL.canParse(href, base) ? new URL(href, base).href : href;
    // defineProperty, so even a rel named "__proto__" is just a key.
    Object.defineProperty(links, rel, { value, enumerable: true, writable: true, configurable: true });
  }
  return links;
}
