// The feed codec: renderFeedPage and parseFeedPage, pure, no network.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { FeedParseError, parseFeedPage } from '../subscriber/atom/parse.ts';
import { FeedRenderError, attribute, cdataSection, renderFeedPage, textElement } from '../publisher/atom/render.ts';
import { readXml } from '../subscriber/atom/xml-read.ts';
import type { XmlElement } from '../subscriber/atom/xml-read.ts';
import { Actions, ALL_CATEGORY, ATOM_NS, ATOMFEED_CONTENT_TYPE, FH_NS, MAX_FEED_BYTES, SYNC_NS } from '../shared/protocol.ts';
import type { FeedEvent, FeedPageModel } from '../shared/feed-types.ts';
import { RESOURCE_NAMES } from '../shared/resources.ts';
import { elementWithBuilder, renderFeedPageWithBuilder } from './helpers/render-reference.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const BASE = 'http://127.0.0.1:8081';
const FEED = `${BASE}/openmrs/ws/atomfeed/patient`;
const uuid = (n: number, tag = 'a') => `${tag.repeat(8)}-0000-4000-8000-${String(n).padStart(12, '0')}`;

function event(position: number, over: Partial<FeedEvent> = {}): FeedEvent {
  return {
    seq: 1000 + position * 3, // node-wide numbers, with gaps left by other categories
    position,
    eventUuid: uuid(position, 'e'),
    resource: 'patient',
    uuid: uuid(position, 'f'),
    action: position % 2 ? 'CREATED' : 'UPDATED',
    origin: position % 3 ? 'clinic-a' : 'clinic-b',
    changedAt: `2024-05-01T10:00:${String(position % 60).padStart(2, '0')}.123Z`,
    publishedAt: `2024-05-01T10:01:${String(position % 60).padStart(2, '0')}.000Z`,
    ...over,
  };
}

/** Page `page` of a feed whose working page is `newestPage`, with `onWorking` events on the working page. */
function model(page: number, newestPage: number, o: { asRecent?: boolean; pageSize?: number; onWorking?: number } = {}): FeedPageModel {
  const pageSize = o.pageSize ?? 3;
  const count = page < newestPage ? pageSize : (o.onWorking ?? 1);
  const first = (page - 1) * pageSize + 1;
  const events = Array.from({ length: count }, (_, i) => event(first + i));
  return {
    nodeId: 'clinic-a',
    feedId: 'urn:uuid:0b6f7d7e-3a51-5c1e-a0a4-3b2f4e5d6c7a',
    category: 'patient',
    page,
    pageSize,
    newestPage,
    asRecent: o.asRecent ?? false,
    baseUrl: BASE,
    updated: events.at(-1)?.publishedAt ?? '2024-01-01T00:00:00.000Z',
    events,
  };
}

/** Render, parse back, and check the entries survived intact and in ascending order. */
function roundTrip(m: FeedPageModel) {
  const xml = renderFeedPage(m);
  const parsed = parseFeedPage(xml);
  const expected = [...m.events].sort((a, b) => a.seq - b.seq);
  assert.equal(parsed.entries.length, expected.length);
  parsed.entries.forEach((got, i) => {
    const e = expected[i]!;
    const path = `/openmrs/ws/rest/v1/${e.resource}/${e.uuid}?v=full`;
    assert.deepEqual(got, {
      id: `tag:atomfeed.ict4h.org:${e.eventUuid}`,
      eventUuid: e.eventUuid,
      title: e.resource[0]!.toUpperCase() + e.resource.slice(1),
      updated: e.changedAt,
      published: e.publishedAt,
      categories: [e.resource, e.action],
      contentType: ATOMFEED_CONTENT_TYPE,
      contentPath: path,
      resource: e.resource,
      action: e.action,
      seq: e.seq,
      position: e.position,
      origin: e.origin,
    });
  });
  return { xml, parsed };
}

const children = (el: XmlElement, ns: string, local: string) => el.children.filter((c) => c.ns === ns && c.local === local);
const atomText = (el: XmlElement, local: string) => children(el, ATOM_NS, local)[0]?.text.trim() ?? '';

/** RFC 4287's MUSTs, checked on the element tree rather than trusted to the parser. */
function assertRfc4287(xml: string) {
  const root = readXml(xml, { maxBytes: MAX_FEED_BYTES });
  assert.equal(root.ns, ATOM_NS);
  assert.equal(root.local, 'feed');
  for (const name of ['id', 'title', 'updated']) {
    assert.equal(children(root, ATOM_NS, name).length, 1, `feed has exactly one ${name}`);
    assert.notEqual(atomText(root, name), '', `feed ${name} is not empty`);
  }
  const author = children(root, ATOM_NS, 'author');
  assert.equal(author.length, 1, 'feed has an author (entries carry none)');
  assert.notEqual(atomText(author[0]!, 'name'), '', 'author has a name');
  assert.match(atomText(root, 'updated'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  for (const entry of children(root, ATOM_NS, 'entry')) {
    for (const name of ['id', 'title', 'updated']) {
      assert.equal(children(entry, ATOM_NS, name).length, 1, `entry has exactly one ${name}`);
    }
    assert.equal(children(entry, ATOM_NS, 'content').length, 1, 'entry has one content');
    const alternate = children(entry, ATOM_NS, 'link').filter((l) => l.attrs.rel === 'alternate');
    assert.equal(alternate.length, 1, 'entry has one alternate link');
    assert.ok(alternate[0]!.attrs.href!.startsWith(`${BASE}/openmrs/ws/rest/v1/`));
  }
  return root;
}

describe('renderFeedPage: links per kind of document', () => {
  test('recent, when the working page is page 1', () => {
    const m = model(1, 1, { asRecent: true, onWorking: 2 });
    const { xml, parsed } = roundTrip(m);
    assertRfc4287(xml);
    assert.deepEqual(parsed.links, { self: `${FEED}/recent`, via: `${FEED}/1` });
    assert.equal(parsed.archive, false);
    assert.equal(parsed.id, m.feedId);
    assert.equal(parsed.title, 'atomsync clinic-a patient');
    assert.equal(parsed.updated, m.updated);
  });

  test('recent, when the working page is a later page', () => {
    const { xml, parsed } = roundTrip(model(3, 3, { asRecent: true, onWorking: 2 }));
    assertRfc4287(xml);
    assert.deepEqual(parsed.links, { self: `${FEED}/recent`, via: `${FEED}/3`, 'prev-archive': `${FEED}/2` });
    assert.equal(parsed.archive, false);
  });

  test('the working page at its own number', () => {
    const { parsed } = roundTrip(model(3, 3, { onWorking: 2 }));
    assert.deepEqual(parsed.links, { self: `${FEED}/3`, via: `${FEED}/3`, 'prev-archive': `${FEED}/2` });
    assert.equal(parsed.archive, false);
  });

  test('a complete page in the middle', () => {
    const { xml, parsed } = roundTrip(model(2, 3));
    assertRfc4287(xml);
    assert.deepEqual(parsed.links, {
      self: `${FEED}/2`,
      via: `${FEED}/2`,
      current: `${FEED}/recent`,
      'prev-archive': `${FEED}/1`,
      'next-archive': `${FEED}/3`,
    });
    assert.equal(parsed.archive, true);
    assert.deepEqual(parsed.entries.map((e) => e.position), [4, 5, 6]);
  });

  test('the first page, complete', () => {
    const { parsed } = roundTrip(model(1, 3));
    assert.deepEqual(parsed.links, {
      self: `${FEED}/1`,
      via: `${FEED}/1`,
      current: `${FEED}/recent`,
      'next-archive': `${FEED}/2`,
    });
    assert.equal(parsed.archive, true);
  });

  test('an empty feed', () => {
    const m = model(1, 1, { asRecent: true, onWorking: 0 });
    const xml = renderFeedPage(m);
    assertRfc4287(xml);
    const parsed = parseFeedPage(xml);
    assert.deepEqual(parsed.entries, []);
    assert.deepEqual(parsed.links, { self: `${FEED}/recent`, via: `${FEED}/1` });
    assert.equal(parsed.updated, '2024-01-01T00:00:00.000Z');
  });

  test('fh:archive is declared on the root and appears only on complete pages', () => {
    const complete = renderFeedPage(model(1, 2));
    assert.match(complete, /<feed xmlns="http:\/\/www\.w3\.org\/2005\/Atom" xmlns:fh="http:\/\/purl\.org\/syndication\/history\/1\.0" xmlns:sync="urn:atomsync:feed:1">/);
    assert.match(complete, /\n  <fh:archive\/>\n/);
    for (const working of [model(2, 2, { asRecent: true }), model(2, 2)]) {
      assert.doesNotMatch(renderFeedPage(working), /<fh:archive/);
    }
  });
});

describe('renderFeedPage: entries', () => {
  test('entries are in ascending seq order whatever order they come in', () => {
    const m = model(2, 3, { pageSize: 5 });
    const shuffled = { ...m, events: [m.events[3]!, m.events[0]!, m.events[4]!, m.events[2]!, m.events[1]!] };
    const { parsed } = roundTrip(shuffled);
    assert.deepEqual(parsed.entries.map((e) => e.seq), m.events.map((e) => e.seq));
    assert.equal(renderFeedPage(shuffled), renderFeedPage(m));
  });

  test('an entry looks like atomfeed’s: id scheme, title, categories, CDATA content, alternate link', () => {
    const xml = renderFeedPage(model(1, 1, { asRecent: true }));
    const e = event(1);
    assert.ok(xml.includes(`<id>tag:atomfeed.ict4h.org:${e.eventUuid}</id>`));
    assert.ok(xml.includes('<title type="text">Patient</title>'));
    assert.ok(xml.includes('<category term="patient"/>\n    <category term="CREATED"/>'));
    assert.ok(
      xml.includes(`<content type="application/vnd.atomfeed+xml"><![CDATA[/openmrs/ws/rest/v1/patient/${e.uuid}?v=full]]></content>`),
    );
    assert.ok(xml.includes(`<link rel="alternate" href="${BASE}/openmrs/ws/rest/v1/patient/${e.uuid}?v=full"/>`));
    assert.ok(xml.includes('<sync:seq>1003</sync:seq>\n    <sync:position>1</sync:position>\n    <sync:origin>clinic-a</sync:origin>'));
  });

  test('rendering is deterministic: same model, same bytes', () => {
    const m = model(2, 4, { pageSize: 50 });
    const a = renderFeedPage(m);
    const b = renderFeedPage(structuredClone(m));
    assert.equal(a, b);
  });

  test('a trailing slash on baseUrl does not double the slash in links', () => {
    const parsed = parseFeedPage(renderFeedPage({ ...model(1, 2), baseUrl: `${BASE}/` }));
    assert.equal(parsed.links.self, `${FEED}/1`);
  });

  test('the golden complete page still renders byte for byte', () => {
    // Complete pages are cached forever under an ETag of their bytes. If this
    // fails because rendering changed on purpose, bump RENDER_VERSION in
    // publisher/feed-routes.ts and rewrite the fixture from goldenModel().
    assert.equal(renderFeedPage(goldenModel()), fixture('atomsync-patient-2.xml'));
  });
});

describe('renderFeedPage: hostile values', () => {
  const nasty = `<&>"' ]]> &amp; &#38; x`;

  test('markup characters round-trip in every text and attribute', () => {
    const m = model(1, 1, { asRecent: true, onWorking: 2 });
    m.nodeId = `node ${nasty}`;
    m.feedId = `urn:x:${nasty}`;
    m.events[0] = { ...m.events[0]!, origin: nasty, resource: `res${nasty}` };
    m.events[1] = { ...m.events[1]!, eventUuid: `ev${nasty}` };
    const xml = renderFeedPage(m);
    const parsed = parseFeedPage(xml);
    assert.equal(parsed.id, m.feedId);
    assert.equal(parsed.title, `atomsync node ${nasty} patient`);
    const [a, b] = parsed.entries;
    assert.equal(a!.origin, nasty);
    assert.equal(a!.resource, `res${nasty}`);
    assert.equal(a!.categories[0], `res${nasty}`);
    assert.equal(a!.title, `Res${nasty}`);
    // Path segments are percent-encoded, so the REST path stays one URL.
    assert.equal(a!.contentPath, `/openmrs/ws/rest/v1/${encodeURIComponent(`res${nasty}`)}/${m.events[0]!.uuid}?v=full`);
    assert.equal(b!.id, `tag:atomfeed.ict4h.org:ev${nasty}`);
    assert.equal(b!.eventUuid, `ev${nasty}`);
  });

  test('characters XML cannot carry become U+FFFD instead of breaking the document', () => {
    const m = model(1, 1, { asRecent: true });
    m.events[0] = { ...m.events[0]!, origin: 'a\u0000b\u001Fc\uFFFEd\uD800e' };
    const parsed = parseFeedPage(renderFeedPage(m));
    assert.equal(parsed.entries[0]!.origin, 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe');
  });
});

describe('renderFeedPage: models that break the paging rules are refused', () => {
  const refuses = (m: FeedPageModel, pattern: RegExp) => assert.throws(() => renderFeedPage(m), (e: unknown) => {
    assert.ok(e instanceof FeedRenderError);
    assert.equal(e.name, 'FeedRenderError');
    assert.match(e.message, pattern);
    return true;
  });
  test('a page past the newest', () => refuses({ ...model(2, 2), page: 3 }, /past the newest page/));
  test('recent that is not the newest page', () => refuses({ ...model(1, 2), asRecent: true }, /recent must be the newest page/));
  test('a complete page that is not full', () => {
    const m = model(1, 2);
    refuses({ ...m, events: m.events.slice(1) }, /complete page has 2 events, expected 3/);
  });
  test('an event outside the page', () => {
    const m = model(2, 2);
    refuses({ ...m, events: [event(1)] }, /position 1, outside 4\.\.6/);
  });
  test('a date that is not RFC 3339', () => {
    const m = model(1, 1);
    refuses({ ...m, events: [{ ...m.events[0]!, changedAt: '2024-05-01 10:00:00' }] }, /changedAt .* is not RFC 3339/);
  });
  test('an unknown action', () => {
    const m = model(1, 1);
    refuses({ ...m, events: [{ ...m.events[0]!, action: 'EXPLODED' as never }] }, /unknown action/);
  });
});

// renderFeedPage writes the document by hand; it replaced fast-xml-parser's
// builder, and must write the very same bytes (complete pages are cached
// forever under an ETag of their bytes). The builder version is kept in
// test/helpers/render-reference.ts; here both render the same models.
describe('renderFeedPage: the same bytes as fast-xml-parser’s builder', () => {
  test('every escaper, for every UTF-16 code unit, astral characters and hostile strings', () => {
    for (const [what, s] of escaperSamples()) {
      assert.equal(textElement('x', s), elementWithBuilder({ name: 'x', text: s }), `text ${what}`);
      assert.equal(
        textElement('x', s, attribute('a', s)),
        elementWithBuilder({ name: 'x', attrs: { a: s }, text: s }),
        `attribute and text ${what}`,
      );
      assert.equal(`<x>${cdataSection(s)}</x>`, elementWithBuilder({ name: 'x', cdata: s }), `CDATA ${what}`);
    }
  });

  test('chosen models: every resource and action, every kind of page, hostile values, refused models', () => {
    for (const [what, m] of chosenModels()) assertSameOutcome(m, what);
  });

  test('random models, hostile values included', () => {
    const seed = 20240501;
    const rand = seeded(seed);
    const rendered: string[] = [];
    let refused = 0;
    for (let i = 0; i < 1500; i++) {
      const xml = assertSameOutcome(randomModel(rand), `random model ${i} of seed ${seed}`);
      if (xml === undefined) refused++;
      else rendered.push(xml);
    }
    // The comparison only means something if the models reach every rule of the escaping.
    const all = rendered.join('');
    for (const mark of ['&amp;', '&lt;', '&gt;', '&quot;', '&apos;', '\uFFFD', '😀', '\u0085', '<sync:origin/>', '<fh:archive/>']) {
      assert.ok(all.includes(mark), `some random page holds ${JSON.stringify(mark)}`);
    }
    assert.ok(rendered.some((xml) => !xml.includes('<entry>')), 'some random pages are empty');
    assert.ok(refused > 0 && refused < 150, `a few random models are refused by both, not most (${refused})`);
  });
});

type Outcome = { xml: string; error?: undefined } | { xml?: undefined; error: string };

/** What a renderer made of a model: its document, or the error it threw. */
function outcome(render: (m: FeedPageModel) => string, m: FeedPageModel): Outcome {
  try {
    return { xml: render(m) };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

/** Both renderers write the same bytes, or both refuse the model with the same error. Returns the document. */
function assertSameOutcome(m: FeedPageModel, what: string): string | undefined {
  const direct = outcome(renderFeedPage, m);
  const builder = outcome(renderFeedPageWithBuilder, m);
  assert.equal(direct.error, builder.error, `${what}: errors differ`);
  assert.equal(direct.xml, builder.xml, `${what}: documents differ`);
  return direct.xml;
}

/** Pieces hostile strings are made of: markup, CDATA ends, entity look-alikes, unicode, characters XML cannot carry. */
const HOSTILE_PIECES = [
  'a', 'Z', '0', ' ', '  ', '&', '<', '>', '"', "'", ']]>', ']]', ']', '>>', '<![CDATA[', '-->', '<?xml', '/>', '=',
  '&amp;', '&#38;', '&lt;', '&#x1F600;', '%', '%2F', '/', '?', '#',
  'é', 'ß', 'İ', '中文', '\u00A0', '\u0085', '\u007F', '\u2028', '\uFEFF', '\uE000', '\uFFFD', '😀', '\u{10FFFF}', '\u{1D11E}',
  '\t', '\n', '\r', '\r\n', '\u0000', '\u0001', '\u0008', '\u000B', '\u000C', '\u001F', '\uFFFE', '\uFFFF',
];
/** Halves of surrogate pairs. encodeURIComponent throws on a lone one, so values that go into URLs get them rarely. */
const SURROGATE_HALVES = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uD83D', '\uDE00'];

/** [label, string] pairs: every UTF-16 code unit (in runs of 256), astral characters, and hostile strings. */
function escaperSamples(): Array<[string, string]> {
  const samples: Array<[string, string]> = [];
  for (let start = 0; start < 0x10000; start += 0x100) {
    const units = Array.from({ length: 0x100 }, (_, i) => start + i);
    samples.push([`code units ${start.toString(16)}..${(start + 0xff).toString(16)}`, String.fromCharCode(...units)]);
  }
  // U+10000, then the last code point of each 4096-block of planes 1 to 16, up to U+10FFFF.
  const astral = [0x10000, ...Array.from({ length: 0x100 }, (_, i) => 0x10fff + i * 0x1000)];
  samples.push(['astral code points', String.fromCodePoint(...astral)]);
  for (const s of [...HOSTILE_PIECES, ...SURROGATE_HALVES, '', ']]>]]>', ']]]>>', 'a]]>b]]]]>c', '\uD83D\uDE00', '\uDE00\uD83D']) {
    samples.push([JSON.stringify(s), s]);
  }
  return samples;
}

/** Hand-picked models: the rules one by one, each on its own page. */
function chosenModels(): Array<[string, FeedPageModel]> {
  const models: Array<[string, FeedPageModel]> = [];
  const add = (what: string, m: FeedPageModel) => models.push([what, m]);
  for (const resource of [...RESOURCE_NAMES, ALL_CATEGORY]) {
    const m = model(1, 2, { pageSize: Actions.length });
    m.category = resource;
    m.events = m.events.map((e, i) => ({ ...e, resource, action: Actions[i]! }));
    add(`every action on ${resource}`, m);
  }
  for (let newest = 1; newest <= 3; newest++) {
    for (let page = 1; page <= newest; page++) {
      for (let onWorking = 0; onWorking <= 3; onWorking++) {
        add(`page ${page} of ${newest}, ${onWorking} on the working page`, model(page, newest, { onWorking }));
        if (page === newest) add(`recent, page ${page}, ${onWorking} events`, model(page, newest, { asRecent: true, onWorking }));
      }
    }
  }
  const nasty = `<&>"' ]]> &amp; &#38; x é 中 😀 \u0000\u0008\u000B\u001F\uFFFE\uFFFF\uD800 \uDC00`;
  const urlSafe = nasty.replace(/[\uD800-\uDFFF]/g, '');
  const hostile = model(2, 3);
  Object.assign(hostile, { nodeId: nasty, feedId: nasty, category: urlSafe, baseUrl: `http://h.example/${nasty}` });
  hostile.events = hostile.events.map((e) => ({ ...e, eventUuid: nasty, resource: urlSafe, uuid: urlSafe, origin: nasty }));
  add('hostile values everywhere', hostile);
  add('empty origins', { ...model(1, 1, { onWorking: 2 }), events: model(1, 1, { onWorking: 2 }).events.map((e) => ({ ...e, origin: '' })) });
  add('seq 0 and the largest safe seq', { ...model(1, 1, { onWorking: 2 }), events: [event(1, { seq: 0 }), event(2, { seq: Number.MAX_SAFE_INTEGER })] });
  add('seq -0', { ...model(1, 1), events: [event(1, { seq: -0 })] });
  add('dates with offsets and long fractions', {
    ...model(1, 1),
    updated: '2024-05-01T12:00:00+05:30',
    events: [event(1, { changedAt: '2024-05-01T10:00:00.123456789-08:00', publishedAt: '2024-05-01T10:00:00Z' })],
  });
  for (const baseUrl of ['http://127.0.0.1:8081///', 'https://h.example/prefix', 'http://h.example/a&b<c>"d\'e', 'http://[::1]:8080', 'http://h.example/\u0001\uFFFF\uD800']) {
    add(`baseUrl ${JSON.stringify(baseUrl)}`, { ...model(2, 3), baseUrl });
  }
  // Refused models: both renderers must refuse them the same way.
  add('a page past the newest', { ...model(2, 2), page: 3 });
  add('recent that is not the newest page', { ...model(1, 2), asRecent: true });
  add('a complete page that is not full', { ...model(1, 2), events: model(1, 2).events.slice(1) });
  add('an event outside the page', { ...model(2, 2), events: [event(1)] });
  add('an unknown action', { ...model(1, 1), events: [event(1, { action: 'EXPLODED' as never })] });
  add('a baseUrl that is not a URL', { ...model(1, 1), baseUrl: 'not a url' });
  add('an empty nodeId', { ...model(1, 1), nodeId: '' });
  add('a lone surrogate in a resource (encodeURIComponent throws)', { ...model(1, 1), events: [event(1, { resource: 'x\uD800' })] });
  return models;
}

type Rand = () => number;

/** mulberry32: a small seeded generator, so a failing model can be found again from its seed and index. */
function seeded(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T,>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** 1 to 6 hostile pieces (0 to 6 when `empty`); surrogate halves only when `halves`. */
function hostileString(rand: Rand, o: { empty?: boolean; halves?: boolean } = {}): string {
  const pieces = o.halves ? [...HOSTILE_PIECES, ...SURROGATE_HALVES] : HOSTILE_PIECES;
  let s = '';
  for (let n = int(rand, o.empty ? 0 : 1, 6); n > 0; n--) s += pick(rand, pieces);
  return s;
}

/** The plain value most of the time: a page of nothing but hostile values would test little else. */
const mostly = (rand: Rand, plain: string, odd: () => string) => (rand() < 0.75 ? plain : odd());

/** An RFC 3339 date-time in one of the shapes the model allows. */
function randomDate(rand: Rand): string {
  const iso = new Date(Date.UTC(int(rand, 1990, 2060), int(rand, 0, 11), int(rand, 1, 28), int(rand, 0, 23), int(rand, 0, 59), int(rand, 0, 59), int(rand, 0, 999))).toISOString();
  return pick(rand, [iso, iso.replace(/\.\d+Z$/, 'Z'), iso.replace('Z', '+05:30'), iso.replace(/\.\d+Z$/, '.123456-08:00')]);
}

/** A model that follows the paging rules, with hostile strings in its values and its events in any order. */
function randomModel(rand: Rand): FeedPageModel {
  const pageSize = pick(rand, [1, 2, 3, 7, 50]);
  const newestPage = int(rand, 1, 4);
  const page = int(rand, 1, newestPage);
  const first = (page - 1) * pageSize + 1;
  // A complete page holds its whole range; the working page any part of it.
  const positions = Array.from({ length: pageSize }, (_, i) => first + i);
  const count = page < newestPage ? pageSize : int(rand, 0, pageSize);
  while (positions.length > count) positions.splice(int(rand, 0, positions.length - 1), 1);
  // Rarely, a lone surrogate reaches encodeURIComponent and both renderers throw.
  const halves = rand() < 0.03;
  let seq = pick(rand, [0, int(rand, 1, 1e6), Number.MAX_SAFE_INTEGER - 500]);
  const events: FeedEvent[] = positions.map((position) => ({
    seq: (seq += int(rand, 1, 5)),
    position,
    eventUuid: mostly(rand, uuid(position, 'e'), () => hostileString(rand, { halves: true })),
    resource: mostly(rand, pick(rand, RESOURCE_NAMES), () => hostileString(rand, { halves })),
    uuid: mostly(rand, uuid(position, 'f'), () => hostileString(rand, { halves })),
    action: pick(rand, Actions),
    origin: mostly(rand, pick(rand, ['clinic-a', 'hq']), () => hostileString(rand, { empty: true, halves: true })),
    changedAt: randomDate(rand),
    publishedAt: randomDate(rand),
  }));
  for (let i = events.length - 1; i > 0; i--) {
    const j = int(rand, 0, i);
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  return {
    nodeId: mostly(rand, 'clinic-a', () => hostileString(rand, { halves: true })),
    feedId: mostly(rand, 'urn:uuid:0b6f7d7e-3a51-5c1e-a0a4-3b2f4e5d6c7a', () => hostileString(rand, { halves: true })),
    category: mostly(rand, pick(rand, [ALL_CATEGORY, ...RESOURCE_NAMES]), () => hostileString(rand, { halves })),
    page,
    pageSize,
    newestPage,
    asRecent: page === newestPage && rand() < 0.5,
    baseUrl: mostly(rand, BASE, () => `http://h.example/${hostileString(rand, { halves: true })}`),
    updated: randomDate(rand),
    events,
  };
}

describe('parseFeedPage: fixtures', () => {
  test('an atomfeed page as a Bahmni server serves it', () => {
    const page = parseFeedPage(fixture('bahmni-patient-recent.xml'));
    assert.equal(page.id, 'bec795b1-3d17-451d-b43e-a094019f6984+3');
    assert.equal(page.title, 'Patient AOP');
    assert.equal(page.archive, false);
    assert.deepEqual(page.links, {
      self: 'http://bahmni.example.org/openmrs/ws/atomfeed/patient/recent',
      via: 'http://bahmni.example.org/openmrs/ws/atomfeed/patient/3',
      'prev-archive': 'http://bahmni.example.org/openmrs/ws/atomfeed/patient/2',
    });
    assert.equal(page.entries.length, 2);
    const [first, second] = page.entries;
    assert.deepEqual(first, {
      id: 'tag:atomfeed.ict4h.org:3f2d2b1e-5b7c-4f0e-9a51-6d1c2e7a9b01',
      eventUuid: '3f2d2b1e-5b7c-4f0e-9a51-6d1c2e7a9b01',
      title: 'Patient',
      updated: '2015-07-16T10:22:10Z',
      published: '2015-07-16T10:22:10Z',
      categories: ['patient'],
      contentType: ATOMFEED_CONTENT_TYPE,
      contentPath: '/openmrs/ws/rest/v1/patient/7a1e2b5c-0d4f-4e8a-b3c6-2f9d8e7c6b5a?v=full',
      resource: 'patient',
    });
    assert.deepEqual(second!.categories, ['patient', 'Registration', 'UPDATED']);
    assert.equal(second!.action, 'UPDATED', 'a tag that is not an action is skipped');
    assert.equal(second!.seq, undefined);
    assert.equal(second!.origin, undefined);
  });

  test('a page with the Atom namespace under a prefix and other prefixes for fh and sync', () => {
    const page = parseFeedPage(fixture('prefixed-atom.xml'), { url: 'http://clinic-b.example.org/openmrs/ws/atomfeed/encounter/1' });
    assert.equal(page.title, 'atomsync clinic-b encounter', 'character references are decoded');
    assert.equal(page.archive, true);
    assert.deepEqual(page.links, {
      self: 'http://clinic-b.example.org/openmrs/ws/atomfeed/encounter/1',
      via: 'http://clinic-b.example.org/openmrs/ws/atomfeed/encounter/1',
      current: 'http://clinic-b.example.org/openmrs/ws/atomfeed/encounter/recent',
      'next-archive': 'http://clinic-b.example.org/openmrs/ws/atomfeed/encounter/2',
    });
    const [e] = page.entries;
    assert.equal(e!.seq, 41, 'an element named seq in another namespace is ignored');
    assert.equal(e!.position, 1);
    assert.equal(e!.origin, 'clinic-a');
    assert.equal(e!.action, 'VOIDED');
    assert.equal(e!.contentPath, '/openmrs/ws/rest/v1/encounter/1d2c3b4a-5f6e-4d7c-8b9a-0f1e2d3c4b5a?v=full');
  });

  test('the golden atomsync page parses', () => {
    const page = parseFeedPage(fixture('atomsync-patient-2.xml'));
    assert.equal(page.archive, true);
    assert.deepEqual(page.entries.map((e) => [e.seq, e.position, e.action]), [
      [1012, 4, 'UPDATED'],
      [1015, 5, 'CREATED'],
      [1018, 6, 'UPDATED'],
    ]);
  });
});

test('readXml: comments and processing instructions are skipped, CDATA and references read, prefixes resolved by scope', () => {
  const root = readXml(
    `<?xml version="1.0" encoding="UTF-8"?>\n<!-- a comment --><a:feed xmlns:a="${ATOM_NS}" xmlns='urn:d'>\n` +
      `  <a:id> x &amp; y&#x21; </a:id><?pi skipped?>\n  <plain k = 'v &quot;1&quot;' k2="&#60;b&#62;">one <![CDATA[<two>]]> three<!-- c --></plain>\n` +
      `  <a:entry><b:x xmlns:b="urn:b"/><y/></a:entry>\n</a:feed>\n<!-- trailing -->\n`,
    { maxBytes: MAX_FEED_BYTES },
  );
  assert.deepEqual([root.ns, root.local, root.qname], [ATOM_NS, 'feed', 'a:feed']);
  const [id, plain, entry] = root.children;
  assert.equal(id!.text, 'x & y!');
  assert.deepEqual([plain!.ns, plain!.attrs.k, plain!.attrs.k2, plain!.text], ['urn:d', 'v "1"', '<b>', 'one<two>three']);
  assert.deepEqual(entry!.children.map((c) => [c.ns, c.local]), [['urn:b', 'x'], ['urn:d', 'y']]);
  assert.equal(Object.keys(root.attrs).length, 0, 'namespace declarations are not attributes');
});

describe('parseFeedPage: hostile and broken documents', () => {
  const rejects = (xml: string, pattern: RegExp, opts?: { maxBytes?: number }) =>
    assert.throws(() => parseFeedPage(xml, opts), (e: unknown) => {
      assert.ok(e instanceof FeedParseError, `expected FeedParseError, got ${String(e)}`);
      assert.equal(e.name, 'FeedParseError');
      assert.match(e.message, pattern);
      return true;
    });
  const good = () => renderFeedPage(model(2, 3));
  const feedWith = (entries: string) =>
    `<feed xmlns="${ATOM_NS}"><id>f</id><title>t</title><updated>2024-01-01T00:00:00Z</updated>${entries}</feed>`;
  const entry = (id: string | null, content = '<content type="x">/p</content>') =>
    `<entry>${id === null ? '' : `<id>${id}</id>`}<title>T</title><updated>2024-01-01T00:00:00Z</updated>${content}</entry>`;

  test('not XML', () => rejects('this is not a feed', /^not XML/));
  test('an empty body', () => rejects('', /^not XML: the document is empty/));
  test('JSON', () => rejects('{"feed": []}', /^not XML/));
  test('truncated XML', () => {
    const xml = good();
    rejects(xml.slice(0, Math.floor(xml.length / 2)), /^not XML: .*truncated/);
  });
  test('mismatched tags', () => rejects(`<feed xmlns="${ATOM_NS}"><id>x</title></feed>`, /^not XML/));
  test('two root elements', () => rejects(`<feed xmlns="${ATOM_NS}"/><feed xmlns="${ATOM_NS}"/>`, /one root element, found 2/));

  test('billion laughs', () => {
    const lol = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<feed xmlns="${ATOM_NS}"><id>&lol9;</id><title>t</title><updated>u</updated></feed>`;
    rejects(lol, /DOCTYPE not allowed/);
  });
  test('XXE: an external entity', () =>
    rejects(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><feed xmlns="${ATOM_NS}"><id>&e;</id></feed>`, /DOCTYPE not allowed/));
  test('a lower-case doctype', () => rejects(`<!doctype feed><feed xmlns="${ATOM_NS}"/>`, /DOCTYPE not allowed/));
  test('an ENTITY declaration without a DOCTYPE', () => rejects(`<feed xmlns="${ATOM_NS}"><!ENTITY e "x"></feed>`, /ENTITY declarations not allowed/));
  test('"<" inside an attribute value', () => rejects(feedWith('<link rel="a<b" href="x"/>'), /^not XML: "<" in the value of attribute rel/));
  test('an entity reference XML does not predefine', () => rejects(feedWith(entry('&nbsp;')), /undefined entity &nbsp;/));
  test('what a well-formedness check refuses', () => {
    rejects(feedWith('<link rel="a" rel="b"/>'), /^not XML: attribute rel repeated in <link>/);
    rejects(feedWith('<link rel="a"=/>'), /^not XML: malformed attribute or tag end in <link>/);
    rejects(feedWith('<link rel=a/>'), /^not XML: malformed attribute or tag end in <link>/);
    rejects(feedWith('<![CDAT-->x'), /^not XML: markup declarations are not allowed/);
    rejects(`${feedWith('')}x`, /^not XML: text outside the root element/);
    rejects(`x${feedWith('')}`, /^not XML: text outside the root element/);
    rejects(feedWith('</entry>'), /^not XML: closing tag <\/entry> does not match <feed>/);
    rejects(feedWith('<1a/>'), /^not XML: <1a> is not a valid element name/);
    rejects(feedWith('< entry/>'), /^not XML: "<" that does not start a tag/);
    rejects(`<feed xmlns="${ATOM_NS}"><id>x</id><!-- never closed`, /^not XML: the document ends inside <feed> \(truncated\?\)/);
    rejects(`<feed xmlns="${ATOM_NS}"><entry><link href="http://x`, /^not XML: the document ends inside <feed> <entry> <link> \(truncated\?\)/);
    rejects(`<feed xmlns="${ATOM_NS}"/><?xml version="1.0"?>`, /^not XML: an XML declaration that is not at the start/);
  });

  test('a body over the cap', () => {
    const xml = good();
    rejects(xml, /^document larger than 100 bytes$/, { maxBytes: 100 });
    assert.doesNotThrow(() => parseFeedPage(xml, { maxBytes: Buffer.byteLength(xml) }));
    // The cap counts UTF-8 bytes, not UTF-16 units.
    const wide = feedWith('').replace('<title>t</title>', `<title>${'é'.repeat(60)}</title>`);
    rejects(wide, /^document larger than/, { maxBytes: wide.length + 10 });
  });
  test('the default cap is 5 MB', () => {
    const over = feedWith(`<!--${'x'.repeat(MAX_FEED_BYTES)}-->`);
    rejects(over, new RegExp(`^document larger than ${MAX_FEED_BYTES} bytes$`));
  });

  test('a root that is not an Atom feed', () => {
    rejects('<rss version="2.0"><channel/></rss>', /root element is not an Atom feed \(found <rss>\)/);
    rejects('<feed><id>x</id></feed>', /root element is not an Atom feed/, undefined);
    rejects(`<entry xmlns="${ATOM_NS}"/>`, /root element is not an Atom feed/);
  });
  test('a feed without id', () => rejects(`<feed xmlns="${ATOM_NS}"><title>t</title><updated>u</updated></feed>`, /^feed has no id$/));

  test('an entry without id', () => {
    assert.throws(() => parseFeedPage(feedWith(entry('a') + entry('b') + entry(null))), (e: unknown) => {
      assert.ok(e instanceof FeedParseError);
      assert.equal(e.message, 'entry 3 has no id');
      assert.equal(e.entryIndex, 3);
      return true;
    });
  });
  test('an entry without content', () => rejects(feedWith(entry('a', '')), /^entry 1 has no content$/));
  test('an entry whose content is empty', () => rejects(feedWith(entry('a', '<content type="x"> </content>')), /^entry 1 has empty content$/));
  test('duplicate entry ids', () => {
    const id = 'tag:atomfeed.ict4h.org:dup';
    assert.throws(() => parseFeedPage(feedWith(entry(id) + entry('b') + entry(id))), (e: unknown) => {
      assert.ok(e instanceof FeedParseError);
      assert.equal(e.message, `entries 1 and 3 have the same id ${id}`);
      assert.equal(e.entryId, id);
      return true;
    });
  });
  test('sync numbers that are not integers', () => {
    const withSeq = (v: string) => feedWith(entry('a', `<content>/p</content><s:seq xmlns:s="${SYNC_NS}">${v}</s:seq>`));
    rejects(withSeq('12abc'), /^entry 1 has an invalid sync:seq "12abc"$/);
    rejects(withSeq('1e3'), /invalid sync:seq/);
    rejects(withSeq('-4'), /invalid sync:seq/);
    rejects(withSeq('99999999999999999'), /invalid sync:seq/);
    assert.equal(parseFeedPage(withSeq(' 0042 ')).entries[0]!.seq, 42);
  });
  test('errors name the URL when the caller gives one', () => {
    assert.throws(() => parseFeedPage('nope', { url: 'http://x/feed/1' }), (e: unknown) => {
      assert.ok(e instanceof FeedParseError);
      assert.equal(e.url, 'http://x/feed/1');
      assert.match(e.message, /\(http:\/\/x\/feed\/1\)$/);
      return true;
    });
  });
  test('a fh:archive in the wrong namespace does not mark a page complete', () => {
    const xml = feedWith('<fh:archive xmlns:fh="urn:not-feed-history"/>');
    assert.equal(parseFeedPage(xml).archive, false);
    assert.equal(parseFeedPage(feedWith(`<h:archive xmlns:h="${FH_NS}"/>`)).archive, true);
  });
});

/** The model behind test/fixtures/atomsync-patient-2.xml: page 2 of 3, complete. */
function goldenModel(): FeedPageModel {
  return model(2, 3);
}
