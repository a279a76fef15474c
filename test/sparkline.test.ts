// The admin pages' inline SVG chart (shared/web/sparkline.ts): a pure function from points
// to markup, checked as text, with no browser.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sparkline } from '../subscriber/sparkline.ts';

const NOW = Date.parse('2026-01-01T01:00:00.000Z');
const MIN = 60_000;
const o = { now: NOW, spanMs: 60 * MIN, label: 'lag', width: 120, height: 24 };
const at = (minutesAgo: number) => NOW - minutesAgo * MIN;
const paths = (svg: string) => Object.fromEntries([...svg.matchAll(/<path class="(\w+)" d="([^"]*)"\/>/g)].map((m) => [m[1], m[2]]));

describe('sparkline', () => {
  test('time runs left to right over the span, values bottom to top up to the largest', () => {
    const svg = sparkline([{ at: at(60), value: 0 }, { at: at(30), value: 5 }, { at: at(0), value: 10 }], o).text;
    assert.match(svg, /^<svg class="spark" viewBox="0 0 120 24" width="120" height="24" preserveAspectRatio="none" role="img" aria-label="lag" focusable="false"><title>lag<\/title>/);
    // Two units of padding top and bottom: 0 is at y 22, the largest value at y 2.
    assert.deepEqual(paths(svg), { area: 'M0 24L0 22L60 12L120 2L120 24Z', line: 'M0 22L60 12L120 2', dot: 'M120 2h0' });
    assert.equal(paths(svg).dot, 'M120 2h0', 'the latest value is marked');
  });

  test('a gap (null) breaks the line; a point alone is a dot', () => {
    const svg = sparkline([
      { at: at(60), value: 4 }, { at: at(45), value: 4 }, { at: at(30), value: null },
      { at: at(15), value: 2 }, { at: at(10), value: Number.NaN }, { at: at(0), value: 0 },
    ], o).text;
    assert.equal(paths(svg).line, 'M0 2L30 2M90 12M120 22');
    assert.equal(paths(svg).area, 'M0 24L0 2L30 2L30 24Z');
    assert.equal(paths(svg).dot, 'M90 12h0M120 22h0');
  });

  test('all zeros lie on the baseline; no points, or only gaps, draw the baseline alone', () => {
    assert.deepEqual(paths(sparkline([{ at: at(10), value: 0 }, { at: at(0), value: 0 }], o).text).line, 'M100 22L120 22');
    for (const points of [[], [{ at: at(5), value: null }, { at: at(0), value: null }]]) {
      const svg = sparkline(points, o).text;
      assert.match(svg, /<title>lag<\/title><line class="base" x1="0" y1="23.5" x2="120" y2="23.5"\/><\/svg>$/);
    }
  });

  test('a point between two at the same height is left out: a flat hour is two points', () => {
    const flat = Array.from({ length: 241 }, (_, i) => ({ at: at(60 - i / 4), value: 0 }));
    assert.equal(paths(sparkline(flat, o).text).line, 'M0 22L120 22');
    const step = [0, 0, 0, 5, 5, 5, 0].map((value, i) => ({ at: at(60 - i * 10), value }));
    assert.equal(paths(sparkline(step, o).text).line, 'M0 22L40 22L60 2L100 2L120 22');
  });

  test('points outside the span are left out; a negative value is drawn at 0', () => {
    const svg = sparkline([{ at: at(90), value: 1000 }, { at: at(60), value: -3 }, { at: at(0), value: 4 }, { at: NOW + MIN, value: 1000 }], o).text;
    assert.equal(paths(svg).line, 'M0 22L120 2');
  });

  test('the same points give the same markup; the label is escaped; no style attribute', () => {
    const points = [{ at: at(7), value: 3 }, { at: at(1), value: 1 }];
    const label = '<b>"feed" & co</b>';
    const a = sparkline(points, { ...o, label }).text;
    assert.equal(a, sparkline(points, { ...o, label }).text);
    assert.ok(a.includes('aria-label="&lt;b&gt;&quot;feed&quot; &amp; co&lt;/b&gt;"'));
    assert.ok(!a.includes('<b>'));
    assert.ok(!/style=/.test(a));
    assert.match(paths(a).line!, /^M106 2L118 15\.3$/, 'coordinates rounded to 0.1');
  });
});
