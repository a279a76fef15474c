// The status page's last hour, without a network: the history's rings stay bounded, the
// sampler takes one sample per interval from the same report as the page, and the page
// says "never read" (not "caught up") for a feed this process has not read.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../shared/logger.ts';
import { Ring, StatusHistory, StatusSampler, feedSample } from '../subscriber/status-history.ts';
import { renderStatusPage } from '../subscriber/status-pages.ts';
import { perMinute } from '../subscriber/status-trends.ts';
import type { FeedReport, StatusReport } from '../subscriber/status.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const FEED = 'http://127.0.0.1:8081/openmrs/ws/atomfeed/all/recent';
const DEAD = 'http://127.0.0.1:9/openmrs/ws/atomfeed/all/recent';

function feed(o: Partial<FeedReport> & { events?: number; seen?: number } = {}): FeedReport {
  const { events = 0, seen = 10, ...rest } = o;
  return {
    feed: FEED, caughtUp: events === 0, consecutiveErrors: 0, errorsTotal: 0, lastError: null,
    marker: { lastEntryId: 'tag:x:1', lastPageUrl: null, position: seen, nextPageUrl: null, eventsSeen: seen },
    lag: { markerPosition: seen, newestPosition: seen + events, newestAt: '2026-01-01T00:00:00.000Z', events, seconds: events ? 30 : 0 },
    readSinceStart: true, lastPollAt: null, lastSuccessAt: null, lastErrorAt: null,
    ...rest,
  };
}

function report(at: number, feeds: FeedReport[], applied = 0): StatusReport {
  return {
    nodeId: 'hq', startedAt: new Date(T0).toISOString(), generatedAt: new Date(at).toISOString(), feeds,
    stats: { applied, parked: 0, dead: 0, skipped: 0, dependencies: 0 }, inbox: { pending: 0, dead: 0 }, queue: null, deadLetters: [],
  };
}

const neverRead = (): FeedReport => feed({
  feed: DEAD, caughtUp: false, consecutiveErrors: 3, errorsTotal: 3, lastError: 'FeedUnreachable: connect ECONNREFUSED 127.0.0.1:9',
  marker: null, lag: { markerPosition: 0, newestPosition: 0, newestAt: null, events: 0, seconds: 0 }, readSinceStart: false,
});

describe('status history', () => {
  test('a ring keeps its newest items, oldest first', () => {
    const r = new Ring<number>(3);
    assert.deepEqual(r.toArray(), []);
    for (let i = 1; i <= 7; i++) r.push(i);
    assert.equal(r.size, 3);
    assert.deepEqual(r.toArray(), [5, 6, 7]);
    assert.throws(() => new Ring(0), RangeError);
  });

  test("holds an hour at most: two hours of samples keep the last hour's", () => {
    const h = new StatusHistory({ sampleMs: 15_000, windowMs: 3_600_000 });
    assert.equal(h.capacity, 241);
    for (let i = 0; i < 480; i++) h.record(report(T0 + i * 15_000, [feed({ seen: i, events: i % 5 })], i * 2));
    const v = h.view();
    assert.equal(v.node.length, 241);
    assert.equal(v.feeds[FEED]!.length, 241);
    assert.equal(v.feeds[FEED]![0]!.at, T0 + 239 * 15_000, 'the oldest kept is an hour before the newest');
    assert.equal(v.feeds[FEED]!.at(-1)!.at, T0 + 479 * 15_000);
    assert.deepEqual(v.feeds[FEED]!.at(-1), { at: T0 + 479 * 15_000, lagEvents: 4, lagSeconds: 30, consumed: 479 });
    assert.deepEqual(v.node.at(-1), { at: T0 + 479 * 15_000, applied: 958 });
    assert.deepEqual({ sampleMs: v.sampleMs, windowMs: v.windowMs }, { sampleMs: 15_000, windowMs: 3_600_000 });
  });

  test('a report not newer than the last sample is ignored; a feed that leaves the report leaves the history', () => {
    const h = new StatusHistory();
    h.record(report(T0, [feed(), neverRead()]));
    h.record(report(T0, [feed({ events: 9 })]));
    h.record(report(T0 - 1, [feed({ events: 9 })]));
    assert.equal(h.view().feeds[FEED]!.length, 1);
    assert.equal(h.view().feeds[FEED]![0]!.lagEvents, 0);
    h.record(report(T0 + 15_000, [feed()]));
    assert.deepEqual(Object.keys(h.view().feeds), [FEED]);
  });

  test('a feed not read since the start has no lag in its samples, not a lag of 0', () => {
    assert.deepEqual(feedSample(neverRead(), T0), { at: T0, lagEvents: null, lagSeconds: null, consumed: 0 });
    assert.deepEqual(feedSample(feed({ events: 3, seen: 7 }), T0), { at: T0, lagEvents: 3, lagSeconds: 30, consumed: 7 });
  });

  test('throughput is the slope of a running count, per minute; a count that goes down is 0', () => {
    const at = (s: number) => T0 + s * 1000;
    assert.deepEqual(perMinute([]), []);
    assert.deepEqual(perMinute([{ at: at(0), count: 5 }]), []);
    assert.deepEqual(perMinute([
      { at: at(0), count: 0 }, { at: at(15), count: 100 }, { at: at(30), count: 100 }, { at: at(45), count: 10 }, { at: at(45), count: 20 }, { at: at(75), count: 70 },
    ]), [{ at: at(15), value: 400 }, { at: at(30), value: 0 }, { at: at(45), value: 0 }, { at: at(75), value: 100 }]);
  });
});

describe('status sampler', () => {
  const log = createLogger({ level: 'error' });

  test('samples at once, then once per interval; a failed sample is skipped, and stop() stops it', async () => {
    const h = new StatusHistory({ sampleMs: 40, windowMs: 400 });
    let calls = 0;
    const sampler = new StatusSampler(h, async () => {
      calls++;
      if (calls === 2) throw new Error('the database is away');
      return report(Date.now(), [feed({ seen: calls })], calls);
    }, log);
    sampler.start();
    sampler.start(); // a second start does not double the sampling
    await new Promise((r) => setTimeout(r, 230));
    sampler.stop();
    const taken = calls;
    assert.ok(taken >= 4 && taken <= 8, `${taken} samples in 230 ms at one per 40 ms`);
    assert.equal(h.view().node.length, taken - 1, 'all but the failed one');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls, taken, 'none after stop()');
  });

  test('a slow report is not asked for again while it is being taken', async () => {
    const h = new StatusHistory({ sampleMs: 10, windowMs: 100 });
    let inFlight = 0;
    let most = 0;
    const sampler = new StatusSampler(h, async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 60));
      inFlight--;
      return report(Date.now(), []);
    }, log);
    sampler.start();
    await new Promise((r) => setTimeout(r, 150));
    sampler.stop();
    assert.equal(most, 1);
  });
});

/** The first Lag cell of the feeds table in `page`. */
const lagOf = (page: string) => /<td data-label="Lag" class="num">([\s\S]*?)<\/td>/.exec(page)![1]!;

describe('status page: lag over time, and a feed never read', () => {
  const now = T0 + 3_600_000;
  const history = new StatusHistory();
  for (let i = 0; i < 240; i++) history.record(report(T0 + i * 15_000, [feed({ seen: i * 10, events: 240 - i }), neverRead()], i * 10));
  const page = renderStatusPage(report(now, [feed({ seen: 2400 }), neverRead()], 2400), { csrfToken: 't', styleNonce: 'n', history: history.view() });

  test('charts each feed, and all feeds applied per minute, as inline SVG', () => {
    assert.match(page, /<h2 id="last-hour">Last hour<\/h2>/);
    const charts = page.match(/<svg class="spark"[^>]*>/g) ?? [];
    assert.equal(charts.length, 1 + 2 * 3, 'applied per minute, then three charts per feed');
    assert.ok(charts.every((c) => /role="img" aria-label="[^"]+"/.test(c)));
    assert.ok(!/ style=/.test(page), 'no style attributes: the Content-Security-Policy refuses them');
    assert.ok(!/<script/i.test(page));
    assert.match(page, /aria-label="127\.0\.0\.1:8081 · all: entries behind, last hour"[^>]*><title>[^<]+<\/title><line class="base"[^>]*\/><path class="area" d="M0 48L0 2L/);
    assert.match(page, /Applied per minute<\/span> <strong>40<\/strong>/);
    assert.match(page, /Consumed per minute<\/span> <strong>40<\/strong>/);
  });

  test('the never-read feed says so, in its lag and its charts, and is not counted caught up', () => {
    const row = page.slice(page.indexOf(`title="${DEAD}"`));
    const lagCell = lagOf(row);
    assert.match(lagCell, /never read/);
    assert.doesNotMatch(lagCell, /caught up/);
    assert.match(row, /ECONNREFUSED/, 'with its last error');
    const trend = page.slice(page.lastIndexOf(`title="${DEAD}"`));
    assert.match(trend, /<span class="pill idle">never read<\/span>/);
    assert.match(trend, /Behind, entries<\/span> <strong>never read<\/strong>/);
    assert.match(trend, /entries behind, last hour"[^>]*><title>[^<]+<\/title><line class="base"[^>]*\/><\/svg>/, 'a chart with no line at all');
    assert.match(page, /Feeds caught up<\/div><div class="value">1 \/ 2</);
  });

  test('a feed read in an earlier run but not since the start says that instead', () => {
    const again = renderStatusPage(report(now, [{ ...neverRead(), lastSuccessAt: '2025-12-31T23:00:00.000Z' }]), { csrfToken: 't', styleNonce: 'n' });
    assert.match(again, /not read since the start/);
    assert.equal(lagOf(again), '–<div class="small">not read since the start</div>');
    assert.doesNotMatch(again, /Last hour/, 'no history given, no charts');
  });
});
