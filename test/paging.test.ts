// Page/position arithmetic of feeds with segments (publisher/paging.ts), and the render check
// that follows it: no database.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LayoutError, checkLayout, isUniform, newestPage, pageOf, pageRange, repage, sameLayout, uniformLayout } from '../publisher/paging.ts';
import type { Layout } from '../publisher/paging.ts';
import { parseFeedPage } from '../subscriber/atom/parse.ts';
import { renderFeedPage } from '../publisher/atom/render.ts';
import type { FeedEvent, FeedPageModel } from '../shared/feed-types.ts';

const range = (layout: Layout, page: number) => {
  const r = pageRange(layout, page);
  return [r.first, r.last];
};

test('a uniform layout is the old rule: page n holds (n-1)*S+1 .. n*S', () => {
  const l = uniformLayout(50);
  assert.deepEqual(range(l, 1), [1, 50]);
  assert.deepEqual(range(l, 3), [101, 150]);
  assert.equal(pageOf(l, 50), 1);
  assert.equal(pageOf(l, 51), 2);
  assert.equal(newestPage(l, 0), 1, 'an empty feed: working page 1');
  assert.equal(newestPage(l, 49), 1);
  assert.equal(newestPage(l, 50), 2, 'a full last page: the working page is the empty one after it');
  assert.equal(newestPage(l, 120), 3);
});

test('segments: pages before the boundary keep their range, the new size applies from it', () => {
  const l: Layout = [{ fromPage: 1, fromPosition: 1, size: 50 }, { fromPage: 4, fromPosition: 151, size: 200 }];
  checkLayout(l);
  assert.deepEqual(range(l, 3), [101, 150]);
  assert.deepEqual(range(l, 4), [151, 350]);
  assert.deepEqual(range(l, 5), [351, 550]);
  assert.equal(pageOf(l, 150), 3);
  assert.equal(pageOf(l, 151), 4);
  assert.equal(pageOf(l, 351), 5);
  assert.equal(newestPage(l, 150), 4);
  assert.equal(newestPage(l, 349), 4);
  assert.equal(newestPage(l, 350), 5);
});

test('re-paging to a larger size starts the new size at the working page, which keeps its first position', () => {
  const l = repage(uniformLayout(50), 120, 200);
  assert.deepEqual(l, [{ fromPage: 1, fromPosition: 1, size: 50 }, { fromPage: 3, fromPosition: 101, size: 200 }]);
  assert.deepEqual(range(l, 2), [51, 100]);
  assert.deepEqual(range(l, 3), [101, 300]);
  assert.equal(newestPage(l, 120), 3, 'the same working page');
});

test('re-paging when the last page is exactly full starts the new size on the empty working page', () => {
  const l = repage(uniformLayout(50), 100, 7);
  assert.deepEqual(l, [{ fromPage: 1, fromPosition: 1, size: 50 }, { fromPage: 3, fromPosition: 101, size: 7 }]);
  assert.equal(newestPage(l, 100), 3);
  assert.deepEqual(range(l, 4), [108, 114]);
});

test('re-paging to a smaller size than the working page holds waits for that page to complete', () => {
  // The working page 3 holds 101..130 (30 events): a size of 10 would take 20 of them off it.
  const l = repage(uniformLayout(50), 130, 10);
  assert.deepEqual(l, [{ fromPage: 1, fromPosition: 1, size: 50 }, { fromPage: 4, fromPosition: 151, size: 10 }]);
  assert.deepEqual(range(l, 3), [101, 150], 'page 3 keeps every entry it was served with');
  assert.deepEqual(range(l, 4), [151, 160]);
  // A smaller size the working page has not reached yet applies at once.
  assert.deepEqual(repage(uniformLayout(50), 110, 10), [{ fromPage: 1, fromPosition: 1, size: 50 }, { fromPage: 3, fromPosition: 101, size: 10 }]);
});

test('re-paging to the same size changes nothing; re-paging twice before a page completes replaces the segment', () => {
  const base = repage(uniformLayout(50), 120, 200);
  assert.ok(sameLayout(repage(base, 130, 200), base), 'same size: same layout');
  assert.ok(sameLayout(repage(uniformLayout(50), 120, 50), uniformLayout(50)));
  // 50 -> 200 -> 100 with page 3 still the working page: page 3 is simply 100 a page now.
  assert.deepEqual(repage(base, 130, 100), [{ fromPage: 1, fromPosition: 1, size: 50 }, { fromPage: 3, fromPosition: 101, size: 100 }]);
  // ... and back to 50: uniform again (no page of size 200 ever completed).
  assert.ok(isUniform(repage(base, 130, 50), 50));
  // Once a page of the second segment completed, a third re-page adds a third segment.
  const third = repage(base, 305, 10);
  assert.deepEqual(third, [
    { fromPage: 1, fromPosition: 1, size: 50 },
    { fromPage: 3, fromPosition: 101, size: 200 },
    { fromPage: 4, fromPosition: 301, size: 10 },
  ]);
  checkLayout(third);
});

test('a feed with no event yet re-pages to a uniform layout of the new size', () => {
  assert.ok(isUniform(repage(uniformLayout(50), 0, 200), 200));
  assert.ok(isUniform(repage(uniformLayout(50), 30, 200), 200), 'page 1 not complete: nothing to keep');
  assert.ok(!isUniform(repage(uniformLayout(50), 50, 200), 200));
});

test('checkLayout refuses segments that do not follow on', () => {
  assert.throws(() => checkLayout([]), LayoutError);
  assert.throws(() => checkLayout([{ fromPage: 2, fromPosition: 1, size: 5 }]), /page 1, position 1/);
  assert.throws(() => checkLayout([{ fromPage: 1, fromPosition: 1, size: 5 }, { fromPage: 3, fromPosition: 12, size: 5 }]), /follows on at 11/);
  assert.throws(() => checkLayout([{ fromPage: 1, fromPosition: 1, size: 5 }, { fromPage: 1, fromPosition: 1, size: 6 }]), /not after page 1/);
  assert.throws(() => checkLayout([{ fromPage: 1, fromPosition: 1, size: 0 }]), /size 0/);
});

/** A small deterministic generator (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('random histories of appends and re-pages: complete pages never change, no served entry leaves its page', () => {
  for (let run = 0; run < 300; run++) {
    const rand = random(run + 1);
    let layout = uniformLayout(1 + Math.floor(rand() * 20));
    let count = 0;
    /** page -> positions it was served with (complete pages: all of them, fixed). */
    const served = new Map<number, { first: number; upTo: number; complete: boolean }>();
    for (let step = 0; step < 40; step++) {
      if (rand() < 0.3) {
        const before = layout;
        layout = repage(layout, count, 1 + Math.floor(rand() * 20));
        checkLayout(layout, `run ${run} step ${step}`);
        assert.equal(newestPage(layout, count) >= newestPage(before, count), true, 'the working page never moves back');
      } else count += Math.floor(rand() * 30);
      const working = newestPage(layout, count);
      for (let p = 1; p <= working; p++) {
        const r = pageRange(layout, p);
        const complete = p < working;
        assert.ok(complete ? r.last <= count : r.first <= count + 1 && r.last > count, `run ${run}: page ${p} vs working page ${working}`);
        const was = served.get(p);
        if (was) assert.equal(r.first, was.first, `run ${run}: page ${p} moved`);
        if (was?.complete) assert.equal(r.last, was.upTo, `run ${run}: complete page ${p} changed`);
        if (was && !was.complete) assert.ok(r.last >= was.upTo, `run ${run}: page ${p} lost entries it was served with`);
        served.set(p, { first: r.first, upTo: complete ? r.last : count, complete });
        if (p > 1) assert.equal(pageRange(layout, p - 1).last + 1, r.first, 'pages follow on');
      }
    }
  }
});

test('a page model is checked against the positions its layout gives it, not (page-1)*size+1', () => {
  const event = (position: number): FeedEvent => ({
    seq: position, position, eventUuid: `e${position}`, resource: 'location', uuid: `u${position}`, action: 'CREATED',
    origin: 'field-a', changedAt: '2024-01-01T00:00:00.000Z', publishedAt: '2024-01-01T00:00:00.000Z',
  });
  const layout = repage(uniformLayout(50), 150, 200); // page 4 = 151..350
  const r = pageRange(layout, 4);
  const m: FeedPageModel = {
    nodeId: 'field-a', feedId: 'urn:uuid:0b6f7d7e-3a51-5c1e-a0a4-3b2f4e5d6c7a', category: 'location', page: 4, pageSize: r.size,
    firstPosition: r.first, newestPage: 5, asRecent: false, baseUrl: 'http://127.0.0.1:8081', updated: '2024-01-01T00:00:00.000Z',
    events: Array.from({ length: 200 }, (_, i) => event(151 + i)),
  };
  assert.equal(parseFeedPage(renderFeedPage(m)).entries.length, 200);
  assert.throws(() => renderFeedPage({ ...m, events: [event(150), ...m.events.slice(1)] }), /position 150, outside 151..350/);
  assert.throws(() => renderFeedPage({ ...m, firstPosition: undefined }), /outside 601..800/, 'without it, page 4 of 200 would be 601..800');
});
