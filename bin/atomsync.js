#!/usr/bin/env node
// The CLI. `npm ci` (its prepare step, `npm run build`) bundles the TypeScript into
// dist/cli/main.mjs, which starts in about half the time: no TypeScript hooks on every
// module load. When any source file is newer than that bundle (an edit since the last
// build), or ATOMSYNC_NO_BUNDLE is set, the sources run through tsx instead, so what runs
// is always what is checked out.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// V8 lets the old generation grow to several times what is live before it collects it: a
// catch-up keeps about 30 MB live (batches, pages ahead, representations), but each batch
// outlives a few scavenges, is promoted and dies there, so the heap reached 150 MB and the
// subscriber's RSS 250 MiB (issue 17). Collecting once the old generation has grown by
// HEAP_GROWING_PERCENT over what was live keeps it near its live size, whatever the data size.
// Measured on a 60,000-event catch-up (one or two runs each): 30 % gave 168-170 MiB for about 1 CPU-s more marking,
// 60 % 176 MiB for about none, 100 % 188 MiB. Not a cap: a process that needs more heap still
// gets it. A --heap-growing-percent of one's own, in NODE_OPTIONS or on node's command line, wins.
const HEAP_GROWING_PERCENT = 60;
const ownFlags = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`;
if (!/--heap[-_]growing[-_]percent/.test(ownFlags)) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);

// `atomsync ... | head`: once the reader has gone, there is nobody to write to; end quietly
// instead of dying on an unhandled EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = `${root}dist/cli/main.mjs`;

/** Newest modification time of the .ts files under these directories (ms), or Infinity if one cannot be read. */
function newestSource(dirs) {
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(`${dir}/${e.name}`);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(`${dir}/${e.name}`).mtimeMs);
    }
  };
  try {
    for (const d of dirs) walk(`${root}${d}`);
  } catch {
    return Infinity;
  }
  return newest;
}

function bundleIsFresh() {
  if (process.env.ATOMSYNC_NO_BUNDLE) return false;
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return false;
  }
  return built >= newestSource(['bin', 'shared', 'publisher', 'subscriber', 'tools']);
}

let main;
if (bundleIsFresh()) {
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./main.ts'));
}
process.exitCode = await main(process.argv.slice(2), process.env);
