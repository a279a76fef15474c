// A node's place in the tree (shared/web/tree-model.ts, tree-svg.ts): rows in, edges with their
// side, direction and lag state out; the picture escapes every value. Pure: nothing running.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTree, feedLabel, markerLag, readerLag } from '../shared/web/tree-model.ts';
import type { MarkerRow, ReaderRow } from '../shared/web/tree-model.ts';
import { treeFigure, treeSvg, TREE_COLUMNS } from '../shared/web/tree-svg.ts';

const NOW = Date.parse('2026-12-03T12:00:00.000Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();
const CATCHMENT = 'catchment~6f1c2a0e-0000-4000-8000-000000000001';
const marker = (feedUrl: string, m: Partial<MarkerRow> = {}): MarkerRow => ({
  feedUrl, lastSuccessAt: at(3), lastPollAt: at(3), lastError: null, lastErrorAt: null, newestChangedAt: at(60), ...m,
});
const reader = (r: Partial<ReaderRow>): ReaderRow => ({ user: 'up', node: 'district', feed: 'all', position: 10, feedCount: 10, seenAt: at(2), ...r });

describe('the tree model', () => {
  test('a catchment read is a parent (down), an all feed read a child (up); readers the other way round', () => {
    const m = buildTree({
      nodeId: 'district',
      markers: [marker(`http://national:8081/openmrs/ws/atomfeed/${CATCHMENT}/recent`), marker('https://clinic-1:8443/openmrs/ws/atomfeed/all/recent')],
      readers: [reader({ user: 'down', node: 'clinic-1', feed: CATCHMENT }), reader({ user: 'up', node: 'national', feed: 'all' })],
      now: NOW,
    });
    assert.deepEqual(
      m.parents.map((e) => [e.peer, e.reading, e.flow, e.feedLabel, e.transport]),
      [['national', 'read-by', 'up', 'all', 'HTTP'], ['national:8081', 'reads', 'down', 'catchment 6f1c2a0e', 'HTTP']],
    );
    assert.deepEqual(
      m.children.map((e) => [e.peer, e.reading, e.flow, e.feedLabel, e.transport]),
      [['clinic-1', 'read-by', 'down', 'catchment 6f1c2a0e', 'HTTP'], ['clinic-1:8443', 'reads', 'up', 'all', 'HTTPS']],
    );
    assert.ok([...m.parents, ...m.children].every((e) => e.state === 'ok'));
  });

  test('lag states of a feed read: ok, behind (old success or entries waiting), failing, never read', () => {
    assert.equal(markerLag(marker('u'), NOW).state, 'ok');
    assert.equal(markerLag(marker('u', { lastSuccessAt: at(600) }), NOW).state, 'behind');
    assert.deepEqual(markerLag(marker('u', { eventsBehind: 12 }), NOW), { state: 'behind', lagText: '12 events behind' });
    const failing = markerLag(marker('u', { lastError: 'HTTP 503\n from upstream', lastErrorAt: at(1) }), NOW);
    assert.deepEqual(failing, { state: 'failing', lagText: 'failing: HTTP 503 from upstream' });
    assert.equal(markerLag(marker('u', { lastError: 'old', lastErrorAt: at(100) }), NOW).state, 'ok', 'an error older than the last success is over');
    assert.deepEqual(markerLag(marker('u', { lastSuccessAt: null, lastPollAt: null }), NOW), { state: 'never', lagText: 'never read' });
  });

  test("lag states of a reader: caught up, events behind, not seen lately, silent", () => {
    assert.equal(readerLag(reader({}), NOW).state, 'ok');
    assert.deepEqual(readerLag(reader({ position: 7 }), NOW), { state: 'behind', lagText: '3 events behind' });
    assert.equal(readerLag(reader({ seenAt: at(600) }), NOW).state, 'behind');
    assert.equal(readerLag(reader({ seenAt: at(7200) }), NOW).state, 'failing');
    assert.equal(readerLag(reader({ feedCount: null }), NOW).state, 'ok', 'a catchment with no known head: seen lately is ok');
  });

  test('catchment labels are short; a malformed URL is shown as it is', () => {
    assert.equal(feedLabel(`${CATCHMENT}~9a000000-0000-4000-8000-000000000002`), 'catchment 6f1c2a0e +1');
    assert.equal(feedLabel('all'), 'all');
    const m = buildTree({ nodeId: 'n', markers: [marker('not a url')], readers: [], now: NOW });
    assert.equal(m.children[0]!.peer, 'not a url');
  });
});

describe('the tree picture', () => {
  test('draws this node, one box and one arrow per edge, coloured by state, pointing the way data flows', () => {
    const m = buildTree({
      nodeId: 'district',
      markers: [marker(`http://national:8081/openmrs/ws/atomfeed/${CATCHMENT}/recent`, { lastError: 'refused', lastErrorAt: at(1) })],
      readers: [reader({ user: 'down', node: 'clinic-1', feed: CATCHMENT, position: 4 })],
      now: NOW,
    });
    const svg = treeSvg(m).text;
    assert.match(svg, /<svg class="tree-svg"[^>]*role="img"/);
    assert.match(svg, /class="self-name"[^>]*>district</);
    assert.match(svg, /<g class="edge t-failing" data-side="parent" data-flow="down"[^>]*data-peer="national:8081"/);
    assert.match(svg, /<g class="edge t-behind" data-side="child" data-flow="down"[^>]*data-peer="clinic-1"/);
    assert.match(svg, />6 events behind</);
    assert.match(svg, /marker-end="url\(#tree-arrow-failing\)"/);
    // A parent's down arrow runs from its box (above) towards the band: y1 < y2.
    const [, y1, y2] = /data-peer="national:8081"[\s\S]*?<line class="arrow" x1="[^"]+" y1="([0-9.]+)" x2="[^"]+" y2="([0-9.]+)"/.exec(svg)!;
    assert.ok(Number(y1) < Number(y2), `down from the parent: ${y1} -> ${y2}`);
    assert.match(svg, /↓ down · HTTP/);
    assert.doesNotMatch(svg, /<script|style=/, 'no script, no inline style (the CSP allows neither)');
  });

  test('escapes a hostile node id, peer, feed and error everywhere', () => {
    const evil = `"><script>alert(1)</script><img src=x onerror=alert(2)>`;
    const m = buildTree({
      nodeId: `node${evil}`,
      markers: [marker(`http://evil.example/openmrs/ws/atomfeed/${encodeURIComponent(`catchment~${evil}`)}/recent`, { lastError: evil, lastErrorAt: at(1) })],
      readers: [reader({ user: `u${evil}`, node: `n${evil}`, feed: `f${evil}` })],
      now: NOW,
    });
    const out = treeFigure(m).text;
    assert.doesNotMatch(out, /<script|<img|onerror=alert\(2\)>/i);
    assert.match(out, /&lt;script&gt;/);
    assert.match(out, /data-peer="n&quot;&gt;&lt;script&gt;/, 'attribute values are escaped too');
  });

  test('more edges than columns: the last box counts the rest, worst state first', () => {
    const readers = Array.from({ length: TREE_COLUMNS + 3 }, (_, i) => reader({ user: `u${i}`, node: `clinic-${i}`, feed: CATCHMENT, seenAt: at(i === 8 ? 7200 : 1) }));
    const svg = treeSvg(buildTree({ nodeId: 'district', markers: [], readers, now: NOW })).text;
    assert.equal((svg.match(/<g class="edge t-/g) ?? []).length, TREE_COLUMNS - 1, "all but the last column are edges");
    assert.match(svg, /<g class="edge more t-failing" data-more="4">/);
    assert.match(svg, />\+4 more</);
    assert.match(svg, /No parent:/);
  });
});
