// Feed and resource serving: a closed loop of concurrent keep-alive requests
// through one undici Pool, timed per request.
import { PAGE_CACHE_BYTES } from '../../../publisher/page-cache.ts';
import { Pool as HttpPool } from 'undici';
import { ALL_CATEGORY, FEED_PATH, RECENT, REST_PATH } from '../../../shared/protocol.ts';
import type { BenchServer } from './server.ts';
import { usageBetween } from './server.ts';
import { cpuMs, perSecond, round, Samples, summarize } from '../stats.ts';
import type { LatencySummary } from '../stats.ts';

export interface Req {
  path: string;
  headers?: Record<string, string>;
  /** Statuses that count as success. */
  expect: number[];
}

export interface PhaseResult {
  name: string;
  requests: number;
  errors: number;
  /** A few distinct failures, for the report. */
  errorSamples: string[];
  durationMs: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  /** Response body bytes as sent (compressed when gzip was asked for). */
  bytes: number;
  bytesPerSecond: number;
  bytesPerResponse: number;
  statuses: Record<string, number>;
  serverCpuMs: number;
  serverCpuMsPerRequest: number;
  serverEventLoopBusy: number;
  clientCpuMs: number;
}

export interface LoadOptions {
  concurrency: number;
  /** Stop issuing requests at this time (performance.now()), or when `next` returns null. */
  deadline: number;
  /** Give up on a phase after this many failed requests. */
  maxErrors?: number;
}

export class HttpLoad {
  readonly http: HttpPool;

  constructor(
    readonly server: BenchServer,
    private readonly authorization: string,
    readonly connections: number,
  ) {
    this.http = new HttpPool(server.url, { connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
  }

  async one(r: Req): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const res = await this.http.request({ path: r.path, method: 'GET', headers: { authorization: this.authorization, ...r.headers } });
    return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
  }

  /** Runs `next(i)` on `concurrency` workers until the deadline or until it returns null. */
  async phase(name: string, o: LoadOptions, next: (i: number) => Req | null): Promise<PhaseResult> {
    const lat = new Samples();
    const statuses: Record<string, number> = {};
    const errorSamples = new Set<string>();
    let errors = 0;
    let bytes = 0;
    let issued = 0;
    const maxErrors = o.maxErrors ?? 100;
    const server0 = await this.server.usage();
    const client0 = process.cpuUsage();
    const started = performance.now();
    const worker = async () => {
      while (performance.now() < o.deadline && errors < maxErrors) {
        const r = next(issued++);
        if (!r) return;
        const t0 = performance.now();
        try {
          const res = await this.http.request({ path: r.path, method: 'GET', headers: { authorization: this.authorization, ...r.headers } });
          const body = await res.body.arrayBuffer();
          lat.push(performance.now() - t0);
          bytes += body.byteLength;
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          if (!r.expect.includes(res.statusCode)) {
            errors++;
            if (errorSamples.size < 5) errorSamples.add(`${res.statusCode} ${r.path}: ${Buffer.from(body).toString('utf8').slice(0, 120)}`);
          }
        } catch (err) {
          errors++;
          if (errorSamples.size < 5) errorSamples.add(`${r.path}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    const durationMs = performance.now() - started;
    const client1 = process.cpuUsage();
    const su = usageBetween(server0, await this.server.usage());
    const latency = summarize(lat.values(), 2); // two decimals: the publisher's requests are fast
    return {
      name,
      requests: latency.count,
      errors,
      errorSamples: [...errorSamples],
      durationMs: round(durationMs),
      requestsPerSecond: perSecond(latency.count, durationMs),
      latency,
      bytes,
      bytesPerSecond: perSecond(bytes, durationMs),
      bytesPerResponse: latency.count ? round(bytes / latency.count) : 0,
      statuses,
      serverCpuMs: su.cpuMs,
      serverCpuMsPerRequest: latency.count ? round(su.cpuMs / latency.count, 3) : 0,
      serverEventLoopBusy: su.eventLoopBusy,
      clientCpuMs: cpuMs(client0, client1),
    };
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

export const feedPath = (category: string, page: number | typeof RECENT) => `${FEED_PATH}/${category}/${page}`;

export interface ServingPlan {
  completePages: number;
  /** Feeds to poll with If-None-Match; each must have an ETag from a first GET. */
  recentCategories: string[];
  obsUuids: string[];
  seconds: number;
}

/**
 * About how many 50-entry pages the publisher's PageCache holds (it is bounded by bytes,
 * PAGE_CACHE_BYTES; a page of 50 entries is about 35 KB, plus 2.7 KB gzipped and 2.3 KB brotli,
 * all kept). The cached phases cycle through a hot set smaller than this, so they measure hits.
 */
export const PAGE_CACHE_PAGES = Math.floor(PAGE_CACHE_BYTES / 40_000);
const HOT_PAGES = 400;

/** What the phases of one serving run share: the load, its concurrency, and when a timed phase started now ends. */
interface PhaseRun {
  load: HttpLoad;
  c: number;
  until: () => number;
}

const archive = (page: number, headers?: Record<string, string>): Req => ({ path: feedPath(ALL_CATEGORY, page), headers, expect: [200] });

/** Cold pass over every complete page, then the timed phases. */
export async function runServingPhases(load: HttpLoad, plan: ServingPlan): Promise<PhaseResult[]> {
  const run: PhaseRun = { load, c: load.connections, until: () => performance.now() + plan.seconds * 1000 };
  return [
    ...(await archivePhases(run, plan.completePages)),
    await recentPhase(run, plan.recentCategories),
    await restPhase(run, plan.obsUuids),
  ];
}

async function archivePhases({ load, c, until }: PhaseRun, pages: number): Promise<PhaseResult[]> {
  const results: PhaseResult[] = [];
  // Each complete page once, on a server that has never rendered it: queries, rendering and ETag hashing.
  results.push(await load.phase('archive, cold (first render)', { concurrency: c, deadline: Infinity }, (i) => (i < pages ? archive(i + 1) : null)));

  // The newest complete pages, rendered last by the cold pass and fetched once more to be sure they are cached.
  const hot = Math.min(pages, HOT_PAGES);
  const hotPage = (i: number) => pages - hot + 1 + (i % hot);
  await load.phase('warm-up', { concurrency: c, deadline: Infinity }, (i) => (i < hot ? archive(hotPage(i)) : null));
  results.push(await load.phase(`archive, cached (${hot} pages)`, { concurrency: c, deadline: until() }, (i) => archive(hotPage(i))));
  // As our subscriber asks (gzip) and as browsers do (br first); both codings are kept with the page.
  for (const [label, acceptEncoding] of [['gzip', 'gzip'], ['brotli', 'br, gzip']]) {
    results.push(
      await load.phase(`archive, cached, ${label} (${hot} pages)`, { concurrency: c, deadline: until() }, (i) =>
        archive(hotPage(i), { 'accept-encoding': acceptEncoding }),
      ),
    );
  }
  // A reader that holds the pages already: If-None-Match with the gzip coding's ETag.
  const archiveEtags: string[] = [];
  for (let i = 0; i < hot; i++) {
    const res = await load.one({ ...archive(hotPage(i), { 'accept-encoding': 'gzip' }) });
    if (res.status !== 200 || typeof res.headers.etag !== 'string') throw new Error(`archive page ${hotPage(i)}: status ${res.status}, no ETag`);
    archiveEtags.push(res.headers.etag);
  }
  results.push(
    await load.phase(`archive, If-None-Match, gzip (304)`, { concurrency: c, deadline: until() }, (i) => ({
      path: feedPath(ALL_CATEGORY, hotPage(i)),
      headers: { 'accept-encoding': 'gzip', 'if-none-match': archiveEtags[i % hot]! },
      expect: [304],
    })),
  );
  // Cycling through every page: all of them come from the cache when it holds them all, and when it
  // does not, each page is evicted just before it is asked for again.
  if (pages > HOT_PAGES) {
    results.push(
      await load.phase(`archive, cycling all ${pages} pages`, { concurrency: c, deadline: until() }, (i) => archive((i % pages) + 1)),
    );
  }
  return results;
}

/** Polls of each feed's `recent` with the ETag of a first GET: every answer a 304. */
async function recentPhase({ load, c, until }: PhaseRun, cats: string[]): Promise<PhaseResult> {
  const etags = new Map<string, string>();
  for (const category of cats) {
    const res = await load.one({ path: feedPath(category, RECENT), expect: [200] });
    const etag = res.headers.etag;
    if (res.status !== 200 || typeof etag !== 'string') throw new Error(`recent of ${category}: status ${res.status}, no ETag`);
    etags.set(category, etag);
  }
  return load.phase('recent, If-None-Match (304)', { concurrency: c, deadline: until() }, (i) => {
    const category = cats[i % cats.length];
    return { path: feedPath(category, RECENT), headers: { 'if-none-match': etags.get(category)! }, expect: [304] };
  });
}

async function restPhase({ load, c, until }: PhaseRun, uuids: string[]): Promise<PhaseResult> {
  return load.phase('REST obs ?v=full', { concurrency: c, deadline: until() }, () => ({
    path: `${REST_PATH}/obs/${uuids[Math.floor(Math.random() * uuids.length)]}?v=full`,
    expect: [200],
  }));
}
