// PagesAhead: archive pages asked for ahead of the reader on a next-archive link
// guessed from each document's text, every guess checked against the parsed page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rel } from '../shared/protocol.ts';
import type { ParsedPage } from '../shared/feed-types.ts';
import { FeedLoopError, PagesAhead, guessNextArchive } from '../subscriber/pages-ahead.ts';
import { FeedAddress } from '../subscriber/feed-address.ts';

const BASE = 'http://127.0.0.1:8081';
const source = new FeedAddress(`${BASE}/openmrs/ws/atomfeed/all/recent`);
const resolve = (l: string) => source.resolve(l);
const pageUrl = (n: number) => `${BASE}/openmrs/ws/atomfeed/all/${n}`;

test('the next-archive link is read from the text when it reads plainly, and only then', () => {
  const doc = (head: string) => `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">${head}<entry><link rel="next-archive" href="/x/99"/></entry></feed>`;
  assert.equal(guessNextArchive(doc(`<link rel="self" href="/openmrs/ws/atomfeed/all/2"/><link rel="next-archive" href="/openmrs/ws/atomfeed/all/3"/>`), resolve), pageUrl(3));
  assert.equal(guessNextArchive(doc(`<link href='${pageUrl(4)}' type="application/atom+xml" rel='next-archive' />`), resolve), pageUrl(4), 'any order, either quote');
  assert.equal(guessNextArchive(doc(`<atom:link rel="next-archive" href="/openmrs/ws/atomfeed/all/5"/>`), resolve), pageUrl(5), 'a prefixed link');
  assert.equal(guessNextArchive(doc(`<link rel="next-archive" href="/a?x=1&amp;y=2"/>`), resolve), `${BASE}/a?x=1&y=2`);
  assert.equal(guessNextArchive(doc(`<link rel="prev-archive" href="/openmrs/ws/atomfeed/all/1"/>`), resolve), undefined, 'only in entries: not the feed\'s');
  assert.equal(guessNextArchive(doc(`<link rel="next-archive" href="/a/1"/><link rel="next-archive" href="/a/2"/>`), resolve), undefined, 'two: no guess');
  assert.equal(guessNextArchive(doc(`<link rel="next-archive" href="/a&#47;1"/>`), resolve), undefined, 'a reference: no guess');
  assert.equal(guessNextArchive(doc(`<link rel="next-archive" href="http://elsewhere.example/all/3"/>`), resolve), undefined, 'another host: no guess');
});

/** Pages chained by `links` (parsed 15 ms after download); `texts` overrides the link a document's text shows. */
function fakeFeed(links: Map<string, string | undefined>, texts: Map<string, string | undefined>) {
  const log: string[] = [];
  const fetchPage = async (url: string) => {
    log.push(`get ${url}`);
    await new Promise((r) => setTimeout(r, 1));
    const next = links.get(url);
    const page = new Promise<ParsedPage>((r) => setTimeout(() => {
      r({ id: 'f', title: 't', updated: '2026-01-01T00:00:00Z', archive: true, links: next ? { [Rel.nextArchive]: next } : {}, entries: [] });
    }, 15));
    return { page, nextGuess: texts.has(url) ? texts.get(url) : next };
  };
  return { fetchPage, log };
}

test('pages are asked for on the guessed link before the page before them is parsed, and come out in feed order', async () => {
  const links = new Map([1, 2, 3, 4, 5].map((n) => [pageUrl(n), n < 5 ? pageUrl(n + 1) : undefined]));
  const feed = fakeFeed(links, new Map());
  const ahead = new PagesAhead(pageUrl(1), feed.fetchPage, resolve, 'f', 200);
  const first = await ahead.take();
  assert.equal(first.url, pageUrl(1));
  assert.ok(feed.log.length >= 4, `pages 2-4 asked for while page 1 was parsed (asked: ${feed.log.length})`);
  const urls = [first.url];
  for (let item = first; item.next; ) urls.push((item = await ahead.take()).url);
  assert.deepEqual(urls, [1, 2, 3, 4, 5].map(pageUrl));
  assert.deepEqual(feed.log, [1, 2, 3, 4, 5].map((n) => `get ${pageUrl(n)}`), 'each page asked for once');
});

test('a wrong guess drops what was asked for on it and goes on from the parsed link', async () => {
  const links = new Map([[pageUrl(1), pageUrl(2)], [pageUrl(2), pageUrl(3)], [pageUrl(3), undefined], [pageUrl(7), pageUrl(8)], [pageUrl(8), undefined]]);
  const feed = fakeFeed(links, new Map([[pageUrl(2), pageUrl(7)]])); // page 2's text seems to point at 7
  const ahead = new PagesAhead(pageUrl(1), feed.fetchPage, resolve, 'f', 200);
  const urls: string[] = [];
  for (let item = await ahead.take(); ; item = await ahead.take()) {
    urls.push(item.url);
    if (!item.next) break;
  }
  assert.deepEqual(urls, [1, 2, 3].map(pageUrl));
  assert.ok(feed.log.includes(`get ${pageUrl(7)}`), 'the guess was followed');
});

test('a next-archive link back to a page already read is a FeedLoopError, thrown for that page', async () => {
  const self = new PagesAhead(pageUrl(1), fakeFeed(new Map([[pageUrl(1), pageUrl(1)]]), new Map()).fetchPage, resolve, 'f', 200);
  assert.equal((await self.take()).next, pageUrl(1));
  await assert.rejects(self.take(), FeedLoopError);
  // The text hides the loop (it shows no link): found once the parse shows it.
  const hidden = new PagesAhead(pageUrl(1), fakeFeed(new Map([[pageUrl(1), pageUrl(2)], [pageUrl(2), pageUrl(1)]]), new Map([[pageUrl(2), undefined]])).fetchPage, resolve, 'f', 200);
  await hidden.take();
  assert.equal((await hidden.take()).next, pageUrl(1));
  await assert.rejects(hidden.take(), (e: unknown) => e instanceof FeedLoopError && /leads back to .*\/all\/1/.test(e.message));
});
