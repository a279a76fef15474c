// Archive pages fetched ahead of the reader: each page is asked for as soon as
// the one before it has arrived, on the next-archive link read from its raw text,
// while that page is still being parsed. The parse confirms the guess.
import { Rel } from '../shared/protocol.ts';
import type { ParsedPage } from '../shared/feed-types.ts';

/** A next-archive link leads back to a page already read in this pass. */
export class FeedLoopError extends Error {
  override name = 'FeedLoopError';
  constructor(
    readonly feed: string,
    /** The page the link leads back to. */
    readonly url: string,
  ) {
    super(`feed ${feed}: next-archive leads back to ${url}`);
  }
}

/** A feed document downloaded: its parse (a promise), and its next-archive link as guessed from the text. */
export interface FetchedPage {
  page: Promise<ParsedPage>;
  nextGuess: string | undefined;
}

const LINK_TAG = /<(?:[A-Za-z_][\w.-]*:)?link\b[^>]*>/g;
const ATTR = (name: string) => new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`);
const REL_ATTR = ATTR('rel');
const HREF_ATTR = ATTR('href');

/**
 * The next-archive link of a feed document, read from its text without parsing it, or undefined
 * when there is not exactly one that reads plainly. Only a guess, to start the next download
 * early: the parsed page decides (PagesAhead), and a wrong guess costs one wasted request.
 */
export function guessNextArchive(xml: string, resolve: (link: string) => string): string | undefined {
  // Atom puts links before the entries: the feed's own are in its head, before the first <entry.
  const firstEntry = xml.search(/<(?:[A-Za-z_][\w.-]*:)?entry\b/);
  const head = firstEntry > 0 ? xml.slice(0, firstEntry) : xml;
  let found: string | undefined;
  for (const tag of head.match(LINK_TAG) ?? []) {
    const rel = REL_ATTR.exec(tag);
    if ((rel?.[1] ?? rel?.[2]) !== Rel.nextArchive) continue;
    const href = HREF_ATTR.exec(tag);
    const raw = href?.[1] ?? href?.[2];
    if (raw === undefined || found !== undefined || /&(?!amp;)/.test(raw)) return undefined;
    try {
      found = resolve(raw.replaceAll('&amp;', '&'));
    } catch {
      return undefined;
    }
  }
  return found;
}

interface AheadItem {
  page: ParsedPage;
  url: string;
  /** The next-archive link, resolved; undefined on the last page. */
  next: string | undefined;
}

interface Downloaded extends FetchedPage {
  url: string;
}

/**
 * Pages of a feed fetched in order ahead of the reader, following next-archive links, enough
 * to hold about `entriesAhead` entries beyond the page taken. Each page is asked for as soon as
 * the one before it has arrived, with the next-archive link guessed from its text; the parse
 * then confirms the guess (a wrong one drops what was fetched on it and goes on from the parsed
 * link). A failure, or a link that leads back to a page already read (FeedLoopError), is thrown
 * by take() for that page, after every page before it.
 */
export class PagesAhead {
  private queue: Array<Promise<Downloaded | null>> = [];
  private last: Promise<Downloaded | null> | null = null;
  private visited = new Set<string>();
  private readonly taken = new Set<string>();
  private closed = false;
  /** Entries on the last page taken: how many pages `entriesAhead` is. */
  private perPage = 0;

  constructor(
    private readonly first: string,
    private readonly fetchPage: (url: string) => Promise<FetchedPage>,
    private readonly resolve: (link: string) => string,
    private readonly feed: string,
    private readonly entriesAhead: number,
  ) {}

  /** The next page. Call only while the page before had a next-archive link. */
  async take(): Promise<AheadItem> {
    const want = 1 + Math.min(16, Math.max(1, Math.ceil(this.entriesAhead / Math.max(1, this.perPage))));
    while (this.queue.length < want) this.scheduleOne();
    const doc = await this.queue.shift()!;
    if (!doc) throw new Error(`feed ${this.feed}: no page after the last one`);
    const page = await doc.page;
    this.taken.add(doc.url);
    const link = page.links[Rel.nextArchive];
    const next = link ? this.resolve(link) : undefined;
    if (next !== doc.nextGuess) {
      // The guess was wrong: what was asked for on it is not this page's next. Start again from the parsed link.
      this.queue = [];
      this.visited = new Set(this.taken);
      const from: Downloaded = { url: doc.url, page: Promise.resolve(page), nextGuess: next };
      this.last = Promise.resolve(from);
    }
    this.perPage = page.entries.length;
    return { page, url: doc.url, next };
  }

  /** Fetches nothing more; fetches under way finish and are dropped. */
  close(): void {
    this.closed = true;
  }

  private scheduleOne(): void {
    const url = this.last ? this.last.then((prev) => prev?.nextGuess) : Promise.resolve(this.first);
    const p = url.then(async (u): Promise<Downloaded | null> => {
      if (u === undefined || this.closed) return null;
      if (this.visited.has(u)) throw new FeedLoopError(this.feed, u);
      this.visited.add(u);
      return { url: u, ...(await this.fetchPage(u)) };
    });
    p.catch(() => undefined); // thrown by take() for this page, or dropped after close()
    this.last = p;
    this.queue.push(p);
  }
}
