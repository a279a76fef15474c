// The subscriber's status page over HTTP, with real processes: a clinic and its
// publisher, HQ's `atomsync subscribe --http-port 0`. Credentials on every route,
// lag 0 once caught up, Retry POSTs refused without the form token or from another
// origin, /metrics in Prometheus' text format. Plus the pure renderers on hostile values.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { renderMetrics } from '../subscriber/status-metrics.ts';
import { renderStatusPage } from '../subscriber/status-pages.ts';
import type { StatusReport } from '../subscriber/status.ts';
import type { StatusJson } from '../subscriber/status-history.ts';
import { startUnreadFeed } from './helpers/unread-feed.ts';
import type { UnreadFeed } from './helpers/unread-feed.ts';
import { ADMIN_AUTH, announceMissingLocation, count, startStatusScenario, statusJson } from './helpers/status-scenario.ts';
import type { StatusScenario } from './helpers/status-scenario.ts';
import { eventually } from './helpers/processes.ts';

async function send(url: string, o: { method?: string; headers?: Record<string, string>; form?: Record<string, string> } = {}) {
  const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
  const res = await request(url, {
    method: (o.method ?? 'GET') as 'GET',
    headers: { ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...o.headers },
    body,
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** Every line is a comment, or `name{label="value",...} number`, or `name number`. */
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (-?[0-9.]+(e[-+]?[0-9]+)?|NaN|[+-]Inf)$/;

describe('subscriber status page', { timeout: 180_000 }, () => {
  let s: StatusScenario;
  let deadId = 0;
  let token = '';
  /** The page's form cookie: the token is bound to it and to the admin (status-server.ts). */
  let cookie = '';
  const own = () => new URL(s.url).origin;

  before(async () => {
    s = await startStatusScenario('status');
  });
  after(async () => {
    await s?.cleanUp();
  });

  test('every route needs credentials', async () => {
    for (const [method, path] of [['GET', ''], ['GET', 'metrics'], ['POST', 'dead-letters/retry-all'], ['POST', 'dead-letters/1/retry']]) {
      const none = await send(s.url + path, { method });
      assert.equal(none.status, 401, `${method} /${path} without credentials`);
      assert.match(String(none.headers['www-authenticate']), /^Basic realm=/);
      const wrong = await send(s.url + path, { method, headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
      assert.equal(wrong.status, 401, `${method} /${path} with a wrong password`);
    }
  });

  test('JSON status shows the feed caught up, with lag 0', async () => {
    let events = 0;
    let last: StatusReport | undefined;
    await eventually(async () => {
      events = await count(s.clinic.pool, 'SELECT COUNT(*) AS n FROM atomsync_event');
      last = await statusJson(s.url);
      const f = last.feeds[0];
      return f.caughtUp && f.marker?.position === events && f.lag.events === 0;
    }, 60_000, 'the feed to be caught up').catch((err) => {
      throw new Error(`${(err as Error).message}\n${JSON.stringify(last, null, 2)}`);
    });
    const r = last!;
    assert.ok(events > 0);
    assert.equal(r.nodeId, 'hq');
    assert.equal(r.feeds.length, 1);
    const f = r.feeds[0];
    assert.equal(f.feed, s.feed);
    assert.equal(f.lag.seconds, 0);
    assert.equal(f.lag.newestPosition, events);
    assert.equal(f.consecutiveErrors, 0);
    assert.equal(f.lastError, null);
    assert.ok(f.lastSuccessAt && f.lastPollAt, 'poll times come from the marker table');
    assert.match(f.marker!.lastEntryId!, /^tag:atomfeed\.ict4h\.org:/);
    assert.ok(r.stats.applied > 0);
    assert.deepEqual(r.inbox, { pending: 0, dead: 0 });
    assert.deepEqual(Object.keys(r.queue ?? {}).sort(), ['active', 'delayed', 'failed', 'waiting']);
    assert.deepEqual(r.deadLetters, []);
  });

  test("the page charts the feed's last hour, and the JSON carries its samples", async () => {
    const r = (await statusJson(s.url)) as StatusJson;
    assert.equal(r.feeds[0]!.readSinceStart, true);
    assert.deepEqual({ sampleMs: r.history.sampleMs, windowMs: r.history.windowMs }, { sampleMs: 15_000, windowMs: 3_600_000 });
    const samples = r.history.feeds[s.feed];
    assert.ok(samples && samples.length >= 1, 'sampled from the start');
    assert.ok(samples.every((x) => x.at >= Date.parse(r.startedAt) && x.at <= Date.parse(r.generatedAt)));
    assert.ok(r.history.node.length >= 1);
    const metrics = await send(`${s.url}metrics`, { headers: { authorization: ADMIN_AUTH } });
    assert.ok(metrics.text.includes(`\natomsync_feed_read{feed="${s.feed}"} 1\n`));
    const page = await send(s.url, { headers: { authorization: ADMIN_AUTH, accept: 'text/html' } });
    assert.match(page.text, /<h2 id="last-hour">Last hour<\/h2>/);
    const host = new URL(s.feed).host.replace(/\./g, '\\.');
    const charts = ['entries behind', 'seconds behind', 'entries consumed per minute'].map((what) => {
      const svg = new RegExp(`<svg class="spark"[^>]* role="img" aria-label="${host} · all: ${what}, last hour"[\\s\\S]*?</svg>`).exec(page.text);
      assert.ok(svg, what);
      return svg[0];
    });
    // The sample taken at the start and the page's own moment: at least a dot, a line once there are more.
    assert.match(charts[2]!, /<path class="(line|dot)" d="M[0-9.]+/, 'the throughput since the start is drawn');
  });

  test('a dead letter is listed, with a form token on its Retry button', async () => {
    const uuid = await announceMissingLocation(s.clinic.pool);
    await eventually(async () => (await statusJson(s.url)).deadLetters.some((d) => d.uuid === uuid), 30_000, 'the dead letter');
    const d = (await statusJson(s.url)).deadLetters.find((x) => x.uuid === uuid)!;
    assert.equal(d.resource, 'location');
    assert.equal(d.action, 'CREATED');
    assert.equal(d.feed, s.feed);
    assert.match(d.lastError ?? '', /404/);
    deadId = d.id;
    const page = await send(s.url, { headers: { authorization: ADMIN_AUTH, accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.ok(page.text.includes(uuid));
    assert.ok(page.text.includes(`action="/dead-letters/${deadId}/retry"`));
    token = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    assert.ok(token.length >= 32, 'the page carries the form token');
    const setCookie = String(page.headers['set-cookie']);
    assert.match(setCookie, /^atomsync_form=[A-Za-z0-9_-]{22}; Path=\/; HttpOnly; SameSite=Strict$/);
    cookie = setCookie.split(';')[0]!;
  });

  test('a Retry POST without the form token, or from another origin, is refused', async () => {
    const url = `${s.url}dead-letters/${deadId}/retry`;
    const auth = { authorization: ADMIN_AUTH, cookie };
    const refused = [
      await send(url, { method: 'POST', headers: { ...auth, origin: own() }, form: {} }),
      await send(url, { method: 'POST', headers: { ...auth, origin: own() }, form: { csrf: token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A') } }),
      await send(url, { method: 'POST', headers: { ...auth, origin: 'http://evil.example' }, form: { csrf: token } }),
      await send(url, { method: 'POST', headers: { ...auth, origin: 'null' }, form: { csrf: token } }),
      await send(url, { method: 'POST', headers: { ...auth, 'sec-fetch-site': 'cross-site' }, form: { csrf: token } }),
      await send(`${s.url}dead-letters/retry-all`, { method: 'POST', headers: { ...auth, origin: 'http://evil.example' }, form: { csrf: token } }),
    ];
    refused.push(await send(url, { method: 'POST', headers: { authorization: ADMIN_AUTH, origin: own() }, form: { csrf: token } }));
    assert.deepEqual(refused.map((r) => r.status), [403, 403, 403, 403, 403, 403, 403]);
    assert.match(refused[6].text, /cookie/, 'the token without its cookie');
    assert.match(refused[0].text, /token/);
    assert.match(refused[2].text, /origin/);
    const r = await statusJson(s.url);
    assert.equal(r.inbox.dead, 1, 'nothing was retried');
    assert.equal(r.deadLetters[0].attempts, 1);
  });

  test('a Retry POST with the token from the page itself redirects back with a message', async () => {
    const res = await send(`${s.url}dead-letters/${deadId}/retry`, { method: 'POST', headers: { authorization: ADMIN_AUTH, cookie, origin: own() }, form: { csrf: token } });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/?retried=1');
    const page = await send(`${s.url}?retried=1`, { headers: { authorization: ADMIN_AUTH } });
    assert.match(page.text, /1 dead letter put back in line/);
    // The location still does not exist: one attempt (--max-attempts 1) and it is dead again.
    await eventually(async () => {
      const r = await statusJson(s.url);
      return r.inbox.dead === 1 && r.inbox.pending === 0 && r.stats.dead >= 1;
    }, 20_000, 'the retried event to fail again');
    const none = await send(`${s.url}dead-letters/999999/retry`, { method: 'POST', headers: { authorization: ADMIN_AUTH, cookie }, form: { csrf: token } });
    assert.equal(none.headers.location, '/?retried=0', 'no Origin header (a non-browser client) is fine with the token');
  });

  test('/metrics is Prometheus text', async () => {
    const res = await send(`${s.url}metrics`, { headers: { authorization: ADMIN_AUTH } });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const lines = res.text.trimEnd().split('\n');
    for (const line of lines) if (!line.startsWith('#')) assert.match(line, SAMPLE, `not a sample line: ${line}`);
    const value = (series: string) => {
      const line = lines.find((l) => l.startsWith(`${series} `));
      assert.ok(line, `no ${series} in\n${res.text}`);
      return Number(line.slice(series.length + 1));
    };
    assert.ok(value('atomsync_events_applied_total') > 0);
    assert.equal(value('atomsync_events_dead_total'), 2);
    assert.ok(value('atomsync_dependencies_applied_total') >= 0);
    assert.equal(value('atomsync_events_parked_total'), 0);
    assert.equal(value(`atomsync_feed_lag_events{feed="${s.feed}"}`), 0);
    assert.equal(value(`atomsync_feed_lag_seconds{feed="${s.feed}"}`), 0);
    assert.equal(value(`atomsync_feed_errors_total{feed="${s.feed}"}`), 0);
    assert.equal(value('atomsync_inbox{status="dead"}'), 1);
    assert.equal(value('atomsync_inbox{status="pending"}'), 0);
    for (const state of ['waiting', 'delayed', 'active', 'failed']) assert.ok(value(`atomsync_queue_jobs{state="${state}"}`) >= 0);
    for (const name of ['atomsync_events_applied_total', 'atomsync_feed_lag_seconds', 'atomsync_inbox']) {
      assert.ok(lines.includes(`# TYPE ${name} ${name.endsWith('_total') ? 'counter' : 'gauge'}`));
    }
  });
});

describe('a feed nobody answers', { timeout: 120_000 }, () => {
  let u: UnreadFeed;
  before(async () => {
    u = await startUnreadFeed('unread');
  });
  after(async () => {
    await u?.cleanUp();
  });

  test('says "never read" with its last error, not "caught up"', async () => {
    let r: StatusJson | undefined;
    await eventually(async () => {
      r = (await statusJson(u.url)) as StatusJson;
      return r.feeds[0]!.consecutiveErrors >= 2;
    }, 30_000, 'the feed to fail twice');
    const f = r!.feeds[0]!;
    assert.equal(f.feed, u.feed);
    assert.equal(f.readSinceStart, false);
    assert.equal(f.lastSuccessAt, null);
    assert.match(f.lastError ?? '', /ECONNREFUSED/);
    assert.ok(r!.history.feeds[u.feed]!.every((x) => x.lagEvents === null && x.lagSeconds === null), 'no lag is known, so none is charted');
    const page = await send(u.url, { headers: { authorization: ADMIN_AUTH, accept: 'text/html' } });
    const row = /<tr>\s*<td data-label="Feed">[\s\S]*?<\/tr>/.exec(page.text)![0];
    const lag = /<td data-label="Lag" class="num">([\s\S]*?)<\/td>/.exec(row)![1]!;
    assert.match(lag, /never read/);
    assert.doesNotMatch(lag, /caught up/);
    assert.match(row, /<div class="err">FetchError: [^<]*ECONNREFUSED/);
    assert.match(page.text, /Behind, entries<\/span> <strong>never read<\/strong>/);
    const metrics = await send(`${u.url}metrics`, { headers: { authorization: ADMIN_AUTH } });
    assert.ok(metrics.text.includes(`\natomsync_feed_read{feed="${u.feed}"} 0\n`), metrics.text);
  });
});

describe('status renderers escape what they show', () => {
  const evil = `<script>alert("x")</script>`;
  const report: StatusReport = {
    nodeId: evil,
    startedAt: '2026-01-01T00:00:00.000Z',
    generatedAt: '2026-01-01T00:10:00.000Z',
    feeds: [{
      feed: `http://h/${evil}/recent`, caughtUp: false, consecutiveErrors: 2, errorsTotal: 3, lastError: evil,
      marker: { lastEntryId: evil, lastPageUrl: evil, position: 5, nextPageUrl: null, eventsSeen: 5 },
      lag: { markerPosition: 5, newestPosition: 9, newestAt: '2026-01-01T00:09:00.000Z', events: 4, seconds: 75 },
      readSinceStart: true,
      lastPollAt: '2026-01-01T00:09:59.000Z', lastSuccessAt: null, lastErrorAt: '2026-01-01T00:09:59.000Z',
    }],
    stats: { applied: 1, parked: 0, dead: 1, skipped: 0, dependencies: 0 },
    inbox: { pending: 0, dead: 1 },
    queue: null,
    deadLetters: [{ id: 7, resource: evil, uuid: evil, action: evil, feed: evil, entryId: evil, attempts: 1, lastError: evil, since: '2026-01-01T00:00:00.000Z' }],
  };

  test('HTML', () => {
    const page = renderStatusPage(report, { csrfToken: `"><b>`, styleNonce: 'n', retried: 2 });
    assert.ok(!page.includes('<script'), 'no markup from values');
    assert.ok(!page.includes('"><b>'));
    assert.ok(page.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
    assert.match(page, /2 dead letters put back in line/);
    assert.match(page, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
    assert.match(page, /No retry queue/);
  });

  test('metrics label values', () => {
    const text = renderMetrics({ ...report, feeds: [{ ...report.feeds[0], feed: 'a"b\\c\nd' }] });
    assert.ok(text.includes('atomsync_feed_lag_events{feed="a\\"b\\\\c\\nd"} 4'));
    assert.ok(text.includes('atomsync_feed_lag_seconds{feed="a\\"b\\\\c\\nd"} 75'));
    assert.ok(!text.includes('atomsync_queue_jobs{'), 'no queue, no queue samples');
    for (const line of text.trimEnd().split('\n')) if (!line.startsWith('#')) assert.match(line, SAMPLE);
  });
});
