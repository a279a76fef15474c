// Micro-benchmark of renderFeedPage: a realistic complete 50-entry page,
// rendered 2,000 times by the hand-written renderer and by the old
// fast-xml-parser builder version (kept in test/helpers/render-reference.ts).
// Prints ms per page for each.
//
//   node --import tsx tools/bench/render-bench.ts [--pages N]
import { parseArgs } from 'node:util';
import { renderFeedPage } from '../../publisher/atom/render.ts';
import { Actions, DEFAULT_PAGE_SIZE } from '../../shared/protocol.ts';
import type { FeedEvent, FeedPageModel } from '../../shared/feed-types.ts';
import { renderFeedPageWithBuilder } from '../../test/helpers/render-reference.ts';

const RESOURCES = ['patient', 'encounter', 'obs', 'person', 'visit'];
const ORIGINS = ['clinic-a', 'clinic-b', 'hq'];

/** Page 7 of 9 of the `all` feed, as a publisher serves it during a catch-up. */
function realisticModel(): FeedPageModel {
  const page = 7;
  const pageSize = DEFAULT_PAGE_SIZE;
  const first = (page - 1) * pageSize + 1;
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  const uuid = (n: number, salt: number) => `${hex(n * 2654435761 + salt, 8).slice(-8)}-${hex(n % 0xffff, 4)}-4${hex(salt, 3)}-8${hex(n % 0xfff, 3)}-${hex(n * 97 + salt, 12)}`;
  const at = (s: number) => new Date(Date.UTC(2024, 4, 1, 10) + s * 1000).toISOString();
  const events: FeedEvent[] = Array.from({ length: pageSize }, (_, i) => {
    const position = first + i;
    return {
      seq: 5000 + position * 3,
      position,
      eventUuid: uuid(position, 0xe1),
      resource: RESOURCES[position % RESOURCES.length]!,
      uuid: uuid(position, 0xf2),
      action: Actions[position % Actions.length]!,
      origin: ORIGINS[position % ORIGINS.length]!,
      changedAt: at(position),
      publishedAt: at(position + 1),
    };
  });
  return {
    nodeId: 'clinic-a',
    feedId: 'urn:uuid:0b6f7d7e-3a51-5c1e-a0a4-3b2f4e5d6c7a',
    category: 'all',
    page,
    pageSize,
    newestPage: 9,
    asRecent: false,
    baseUrl: 'http://127.0.0.1:8081',
    updated: events.at(-1)!.changedAt,
    events,
  };
}

/** ms per page over `pages` renders, after a warm-up. The bytes are counted so each string is really built. */
function measure(render: (m: FeedPageModel) => string, m: FeedPageModel, pages: number): number {
  let bytes = 0;
  for (let i = 0; i < Math.min(200, pages); i++) bytes += Buffer.byteLength(render(m));
  const start = process.hrtime.bigint();
  for (let i = 0; i < pages; i++) bytes += Buffer.byteLength(render(m));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (bytes === 0) throw new Error('nothing rendered');
  return ms / pages;
}

const { values } = parseArgs({ options: { pages: { type: 'string', default: '2000' } } });
const pages = Number(values.pages);
const m = realisticModel();
if (renderFeedPage(m) !== renderFeedPageWithBuilder(m)) throw new Error('the two renderers disagree on the benchmark page');

const builder = measure(renderFeedPageWithBuilder, m, pages);
const direct = measure(renderFeedPage, m, pages);
const kb = (Buffer.byteLength(renderFeedPage(m)) / 1024).toFixed(1);
console.log(`${m.events.length}-entry page (${kb} KiB), ${pages} renders each:`);
console.log(`  builder (fast-xml-parser)  ${builder.toFixed(3)} ms/page`);
console.log(`  direct (string template)   ${direct.toFixed(3)} ms/page`);
console.log(`  speed-up                   ${(builder / direct).toFixed(1)}x`);
