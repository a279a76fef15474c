// Which representation the subscriber asks a publisher for, over real HTTP on 127.0.0.1:
// lists in the lean `v=sync` form, `v=full` for a sink that reads labels or a publisher
// that refuses `sync`, and one resource at a time from a publisher with no lists at all.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { MAX_LIST_UUIDS, REST_PATH } from '../shared/protocol.ts';
import { silentLogger } from '../shared/logger.ts';
import { FeedAddress } from '../subscriber/feed-address.ts';
import { HttpClient } from '../subscriber/http-client.ts';
import { Semaphore } from '../subscriber/semaphore.ts';
import { LIST_REQUEST_UUIDS, ResourceFetcher } from '../subscriber/resource-fetcher.ts';

const U = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A publisher that knows locations U(1)..U(3) and answers lists only in the forms it is told to. */
async function publisher(listForms: string[]) {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    asked.push(`${url.pathname.replace(`${REST_PATH}/`, '')}?v=${url.searchParams.get('v')}`);
    const one = (uuid: string) => ({ uuid, name: `loc ${uuid.slice(-1)}`, ...(url.searchParams.get('v') === 'sync' ? {} : { display: 'x', links: [] }) });
    const uuids = url.searchParams.get('uuids');
    if (url.pathname === `${REST_PATH}/location` && uuids !== null) {
      if (!listForms.includes(url.searchParams.get('v')!)) return void res.writeHead(400).end('{"error":{"message":"no"}}');
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ results: uuids.split(',').filter((u) => u <= U(3)).map(one) }));
    }
    const m = /\/location\/([0-9a-f-]{36})$/.exec(url.pathname);
    if (m && m[1] <= U(3)) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(one(m[1])));
    res.writeHead(404).end('{"error":{"message":"not found"}}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const source = new FeedAddress(`http://hq:secret@127.0.0.1:${(server.address() as AddressInfo).port}/openmrs/ws/atomfeed/all/recent`);
  return { asked, source, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('list requests ask for v=sync, fall back to v=full, then to one at a time', async (t) => {
  const http = new HttpClient({ retries: 0 }, silentLogger);
  t.after(() => http.close());
  const wanted = [U(1), U(2), U(9)];
  const cases: Array<{ name: string; forms: string[]; labels: boolean; asked: string[][]; display: boolean }> = [
    { name: 'a current atomsync publisher', forms: ['sync', 'full'], labels: false, asked: [['location?v=sync'], ['location?v=sync']], display: false },
    { name: 'a sink that reads labels', forms: ['sync', 'full'], labels: true, asked: [['location?v=full'], ['location?v=full']], display: true },
    {
      name: 'a publisher that predates v=sync',
      forms: ['full'],
      labels: false,
      asked: [['location?v=sync', 'location?v=full'], ['location?v=full']],
      display: true,
    },
    {
      name: 'a publisher without lists (plain atomfeed)',
      forms: [],
      labels: false,
      asked: [
        ['location?v=sync', 'location?v=full', ...wanted.map((u) => `location/${u}?v=full`)],
        wanted.map((u) => `location/${u}?v=full`),
      ],
      display: true,
    },
  ];
  for (const c of cases) {
    const pub = await publisher(c.forms);
    try {
      const fetcher = new ResourceFetcher(http, new Semaphore(1), { labels: c.labels });
      for (const round of c.asked) {
        pub.asked.length = 0;
        const got = await fetcher.fetchMany(pub.source, 'location', wanted);
        assert.deepEqual([...got.keys()].sort(), [U(1), U(2)], `${c.name}: the unknown uuid is left out`);
        assert.equal(got.get(U(2))!.name, 'loc 2');
        assert.equal('display' in got.get(U(1))!, c.display, `${c.name}: representation form`);
        assert.deepEqual(pub.asked.sort(), [...round].sort(), `${c.name}: requests`);
      }
    } finally {
      await pub.close();
    }
  }
});

test('a long list is asked for in requests the publisher accepts, built by listPath', async (t) => {
  const http = new HttpClient({ retries: 0 }, silentLogger);
  t.after(() => http.close());
  const sizes: number[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const uuids = url.searchParams.get('uuids')!.split(',');
    sizes.push(uuids.length);
    if (url.pathname !== `${REST_PATH}/location` || url.searchParams.get('v') !== 'sync' || uuids.length > MAX_LIST_UUIDS) return void res.writeHead(400).end('{}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results: uuids.map((uuid) => ({ uuid })) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const source = new FeedAddress(`http://127.0.0.1:${(server.address() as AddressInfo).port}/openmrs/ws/atomfeed/all/recent`);
  const wanted = Array.from({ length: 2 * LIST_REQUEST_UUIDS + 7 }, (_, i) => U(i + 1));
  const got = await new ResourceFetcher(http, new Semaphore(2)).fetchMany(source, 'location', wanted);
  assert.equal(got.size, wanted.length);
  assert.deepEqual(sizes, [LIST_REQUEST_UUIDS, LIST_REQUEST_UUIDS, 7]);
  assert.ok(LIST_REQUEST_UUIDS <= MAX_LIST_UUIDS);
});
