// The CLI runs from the bundle `npm ci` builds (dist/cli/main.mjs) while it is at least as new
// as the sources, and from the sources through tsx otherwise; both must behave the same.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  execFileSync(process.execPath, [`${ROOT}bin/atomsync.js`, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });

test('the bundle exists after npm ci and answers exactly as the sources do', () => {
  assert.ok(statSync(`${ROOT}dist/cli/main.mjs`).size > 100_000, 'npm ci (prepare) built dist/cli/main.mjs');
  for (const args of [['--help'], ['subscribe', '--help'], ['publish', '--help'], ['verify', '--help']]) {
    assert.equal(run(args), run(args, { ATOMSYNC_NO_BUNDLE: '1' }), args.join(' '));
  }
  assert.throws(() => run(['no-such-command']), /unknown command "no-such-command"/);
});
