// The demo's waits and progress lines as pure code: a wait is given up only after a
// stretch without any change, and a catch-up says what it does before its first write.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressLine } from '../tools/demo/progress.ts';
import type { FeedProgress } from '../tools/demo/progress.ts';
import { StallWatch } from '../tools/demo/stall.ts';

test('a wait stalls only after the patience has passed with nothing changed', () => {
  let now = 0;
  const w = new StallWatch(60_000, () => now);
  assert.equal(w.see([0, 0]), true);
  now = 59_000;
  assert.equal(w.see([0, 0]), false);
  assert.equal(w.stalled, false);
  now = 61_000;
  assert.equal(w.stalled, true, 'a minute with nothing new');
  assert.equal(w.see([0, 1]), true, 'one more event fetched is progress');
  assert.equal(w.stalled, false);
  now = 100_000;
  assert.equal(w.quietMs, 39_000);
  now = 200_000;
  assert.equal(w.see([0, 1]), false);
  assert.equal(w.stalled, true);
});

test('a catch-up line says what it does before its first write, and how far it has fetched', () => {
  const p: FeedProgress = { name: 'field-a', done: 0, total: 6237, rate: 0, lagSeconds: 0, caughtUpOnce: false, parked: 0 };
  assert.match(progressLine(p), /0\/6237 \(0%\) 0 ev\/s, -- left; fetching the first pages$/);
  assert.match(progressLine({ ...p, seen: 800 }), /; 800 events fetched, fetching their resources for the first batch$/);
  assert.match(progressLine({ ...p, done: 400, seen: 1200, rate: 100 }), /400\/6237 \(6%\) 100 ev\/s, 58s left; 1200 events fetched$/);
  assert.doesNotMatch(progressLine({ ...p, done: 1200, seen: 1200, rate: 100 }), /fetched/);
  // The ERP's lag in seconds is not known to the demo: its live line leaves it out.
  assert.equal(progressLine({ ...p, name: 'erp', done: 90, total: 100, caughtUpOnce: true, lagSeconds: null, rate: 5 }), 'erp            live     10 events behind, 90 applied, 5 ev/s');
});
