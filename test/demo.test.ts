// `atomsync demo`, the README's first command, run for real as a newcomer would run it with its
// output going to a log (not a terminal): two clinics and HQ set up, catch-up progress then live
// lag as plain periodic lines, the URLs an admin opens, a verified end, nothing left running.
// Recreates the databases demo_field_a, demo_field_b, demo_hq and demo_erp, as the demo does.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { dropDatabase } from '../shared/db.ts';
import { atomsync, killAll, waitForOutput } from './helpers/processes.ts';
import type { Proc } from './helpers/processes.ts';

const SERVER = process.env.ATOMSYNC_TEST_DB_SERVER ?? 'mysql://root@127.0.0.1:3306';
after(async () => {
  killAll();
  for (const db of ['demo_field_a', 'demo_field_b', 'demo_hq', 'demo_erp']) await dropDatabase(`${SERVER}/${db}`);
});

/** The demo with the given arguments, on the test's database server, its output piped. */
const demo = (args: string[]) => atomsync(['demo', '--db-server', SERVER, '--patients', '12', '--rate', '6', ...args], { ATOMSYNC_LOG_LEVEL: 'info' });

async function exitCode(p: Proc, timeoutMs: number): Promise<number | string> {
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}

/** Whatever the demo printed and started: checked once it has exited. */
async function assertEndedWell(out: string): Promise<void> {
  const feeds = [...out.matchAll(/^ {2}(field-[ab]): (http:\/\/127\.0\.0\.1:\d+\/openmrs\/ws\/atomfeed\/all\/recent)$/gm)];
  assert.deepEqual(feeds.map((m) => m[1]), ['field-a', 'field-b'], 'both clinics\' feed URLs printed');
  const status = /HQ's status page \(user admin, password \S+\): (http:\/\/\S+)/.exec(out)?.[1];
  assert.ok(status, 'the status page URL printed');
  // Catch-up as a progress line: done of total, events per second, time left; then live lag.
  assert.match(out, /^\d\d:\d\d:\d\d field-a +catch-up \[[#.]{24}\] \d+\/\d+ \(\d+%\) \d+ ev\/s, \S+ left/m);
  assert.match(out, /^caught up in \d+s; now the clinics keep working/m);
  assert.match(out, /^\d\d:\d\d:\d\d field-b +live +\d+ events behind, [\d.]+ s lag, \d+ applied, \d+ ev\/s/m);
  assert.doesNotMatch(out, /\x1b\[/, 'no terminal control codes when the output is not a terminal');
  assert.match(out, /verifying HQ against both clinics/);
  assert.match(out, /checking the ERP against both clinics/);
  const end = /^CONVERGED: (\d+) live changes, 0 dead letters, 0 conflicts/m.exec(out);
  assert.ok(end, `the demo ends converged:\n${out.slice(-3000)}`);
  assert.ok(Number(end[1]) > 0, 'the clinics kept working while HQ followed');
  // Nothing it started outlives it: the publishers and the status page no longer answer, no process is left.
  for (const url of [...feeds.map((m) => m[2]), status]) {
    await assert.rejects(fetch(url, { signal: AbortSignal.timeout(5_000) }), `${url} still answers`);
  }
  const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => /atomsync\.js (publish|subscribe|erp) .*demo_/.test(l));
  assert.deepEqual(left, [], 'no process the demo started is still running');
}

test('the demo runs for --duration, then stops the activity, lets HQ catch up, verifies and stops everything', { timeout: 240_000 }, async () => {
  const p = demo(['--duration', '6']);
  const code = await exitCode(p, 200_000);
  assert.equal(code, 0, p.output().slice(-3000));
  await assertEndedWell(p.output());
});

test('Ctrl-C ends the live part early; HQ still catches up, is verified, and nothing is left', { timeout: 240_000 }, async () => {
  const p = demo(['--duration', '3600']);
  await waitForOutput(p, /(caught up in)/, 180_000);
  await new Promise((r) => setTimeout(r, 3_000));
  p.child.kill('SIGINT');
  const code = await exitCode(p, 200_000);
  assert.equal(code, 0, p.output().slice(-3000));
  assert.match(p.output(), /stopping: finishing the activity, letting HQ catch up, then verifying/);
  await assertEndedWell(p.output());
});

test('with two CPU-bound processes competing, the demo waits while HQ and the ERP make progress, shows it from the start, and converges', { timeout: 330_000 }, async () => {
  // Each busy process ends by itself after 5 minutes, should this test be killed before it kills them.
  const hogs = [0, 1].map(() => spawn(process.execPath, ['-e', 'const end = Date.now() + 300_000; while (Date.now() < end);'], { stdio: 'ignore' }));
  try {
    const p = demo(['--duration', '6']);
    const code = await exitCode(p, 300_000);
    const out = p.output();
    assert.equal(code, 0, out.slice(-3000));
    await assertEndedWell(out);
    // From the first line on, a catch-up says what it is doing, not only 0%; the ERP has its own progress line.
    const first = /^\d\d:\d\d:\d\d field-a +catch-up .*$/m.exec(out)?.[0] ?? '';
    assert.match(first, /; (fetching the first pages|\d+ events fetched)/, first);
    assert.match(out, /^\d\d:\d\d:\d\d erp +(catch-up|live) .*\d+ customers, \d+ orders, \d+ order lines$/m);
  } finally {
    for (const h of hogs) h.kill('SIGKILL');
  }
});
