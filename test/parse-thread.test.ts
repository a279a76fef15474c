// Feed documents parsed on the subscriber's worker thread: the same pages and the
// same errors as parsing in place, from the sources and from the bundle, and a
// thread that dies fails only the document it held.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { FeedParseError, parseFeedPage } from '../subscriber/atom/parse.ts';
import { FeedParserThread } from '../subscriber/atom/parse-thread.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const URL_A = 'http://127.0.0.1:1/openmrs/ws/atomfeed/patient/2';
const parser = new FeedParserThread();
after(() => parser.close());

test('pages parsed on the thread equal those parsed in place', async () => {
  for (const name of ['atomsync-patient-2.xml', 'bahmni-patient-recent.xml', 'prefixed-atom.xml']) {
    const xml = fixture(name);
    const page = await parser.parse(xml, { url: URL_A });
    assert.deepEqual(page, parseFeedPage(xml, { url: URL_A }), name);
    assert.ok(page.entries.length > 0, name);
  }
});

test('a bad document fails with the FeedParseError parsing in place gives, details and all', async () => {
  const xml = fixture('atomsync-patient-2.xml');
  const cases = [
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><feed/>',
    xml.slice(0, Math.floor(xml.length / 2)),
    'not xml at all',
  ];
  // Two entries with one id (ids[0] is the feed's): the second entry's made equal to the first's.
  const ids = [...xml.matchAll(/<id>([^<]+)<\/id>/g)].map((m) => m[1]);
  assert.ok(ids.length >= 3);
  cases.push(xml.replace(`<id>${ids[2]}</id>`, `<id>${ids[1]}</id>`));
  let withEntry = 0;
  for (const doc of cases) {
    let inPlace: FeedParseError | undefined;
    try {
      parseFeedPage(doc, { url: URL_A });
    } catch (e) {
      inPlace = e as FeedParseError;
    }
    assert.ok(inPlace instanceof FeedParseError, doc.slice(0, 60));
    if (inPlace.entryId) withEntry++;
    await assert.rejects(parser.parse(doc, { url: URL_A }), (e: unknown) => {
      assert.ok(e instanceof FeedParseError);
      assert.equal(e.message, inPlace!.message);
      assert.deepEqual([e.url, e.entryIndex, e.entryId], [inPlace!.url, inPlace!.entryIndex, inPlace!.entryId]);
      return true;
    });
  }
  assert.equal(withEntry, 1, 'the duplicate id names its entry');
  await assert.rejects(parser.parse('x'.repeat(2000), { url: URL_A, maxBytes: 1000 }), /document larger than 1000 bytes \(http/);
});

test('a thread that dies fails the documents it held with a clear error; the next document starts a new one', async () => {
  const xml = fixture('atomsync-patient-2.xml');
  const held = Array.from({ length: 20 }, () => parser.parse(xml, { url: URL_A }));
  await (parser as unknown as { worker: Worker }).worker.terminate();
  const results = await Promise.allSettled(held);
  const failed = results.filter((r) => r.status === 'rejected');
  assert.ok(failed.length > 0, 'terminated while documents were queued');
  for (const r of failed) assert.match(String((r as PromiseRejectedResult).reason), /the feed parsing thread stopped \(exit code \d+\); the document will be read again/);
  assert.deepEqual(await parser.parse(xml, { url: URL_A }), parseFeedPage(xml, { url: URL_A }));
});

test('the bundle carries the worker, and it parses', async () => {
  const file = new URL('../dist/cli/parse-worker.mjs', import.meta.url);
  assert.ok(statSync(file).size > 1000, 'npm run build wrote dist/cli/parse-worker.mjs');
  const w = new Worker(file);
  try {
    const reply = await new Promise<{ page?: unknown }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
      w.postMessage({ id: 1, xml: fixture('bahmni-patient-recent.xml'), url: URL_A });
    });
    assert.deepEqual(reply.page, parseFeedPage(fixture('bahmni-patient-recent.xml'), { url: URL_A }));
  } finally {
    await w.terminate();
  }
});

test('a thread that cannot start sends parsing back to the calling thread, once, with the reason', async () => {
  const reasons: string[] = [];
  const broken = new FeedParserThread(() => new Worker('throw new Error("cannot load the parser")', { eval: true }), (why) => reasons.push(why));
  try {
    const xml = fixture('atomsync-patient-2.xml');
    const pages = await Promise.all([broken.parse(xml, { url: URL_A }), broken.parse(xml, { url: URL_A })]);
    for (const page of pages) assert.deepEqual(page, parseFeedPage(xml, { url: URL_A }), 'documents held when it failed are parsed in place');
    await assert.rejects(broken.parse('<feed', { url: URL_A }), FeedParseError, 'errors as parsing in place gives them');
    assert.equal(reasons.length, 1);
    assert.match(reasons[0], /the feed parsing thread could not start \(cannot load the parser\); feed documents are parsed on the main thread/);
  } finally {
    await broken.close();
  }
});

test('a thread that runs out of memory on a document fails that document; it is not parsed on the main thread instead', async () => {
  const reasons: string[] = [];
  const hungry = new FeedParserThread(
    () => new Worker('const hoard = []; for (;;) hoard.push(new Array(1e5).fill(Math.random()));', { eval: true, resourceLimits: { maxOldGenerationSizeMb: 16 } }),
    (why) => reasons.push(why),
  );
  try {
    await assert.rejects(hungry.parse(fixture('atomsync-patient-2.xml'), { url: URL_A }), /the feed parsing thread stopped \(.*out of memory.*\); the document will be read again/i);
    assert.deepEqual(reasons, [], 'no fallback to parsing in place');
  } finally {
    await hungry.close();
  }
});
