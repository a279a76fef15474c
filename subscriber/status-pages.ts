// The status page, rendered on the server from a StatusReport: plain HTML with the admin
// pages' stylesheet inline (../shared/web/style.ts), no script, no external asset. Every
// value goes through the `html` template, which escapes it.
import { html } from '../shared/web/html.ts';
import type { Html } from '../shared/web/html.ts';
import type { TreeModel } from '../shared/web/tree-model.ts';
import { treeFigure } from '../shared/web/tree-svg.ts';
import { conflictsCard, conflictsSection } from './conflicts-pages.ts';
import type { ConflictsOverview } from './conflicts-pages.ts';
import { statusDocument } from './status-frame.ts';
import type { DeadLetter, FeedReport, StatusReport } from './status.ts';
import { DEAD_LETTERS_SHOWN, QUEUE_STATES } from './status.ts';
import { duration, lagText, num, shortFeed } from './status-format.ts';
import type { HistoryView } from './status-history.ts';
import { trendsSection } from './status-trends.ts';

export interface PageContext {
  /** Goes into every form; the server refuses a POST without it. */
  csrfToken: string;
  /** Nonce of the inline stylesheet, matching the Content-Security-Policy header. */
  styleNonce: string;
  /** Dead letters revived by the POST that led here (from ?retried=N). */
  retried?: number;
  /** The last hour's samples, for the charts; without it the page has no "Last hour" section. */
  history?: HistoryView;
  /** The conflicts to review (count and the newest open ones); without it the page has no Conflicts section. */
  conflicts?: ConflictsOverview;
  /** This node's parents and children; without it the page has no picture of the tree. */
  tree?: TreeModel;
}


export function renderStatusPage(r: StatusReport, ctx: PageContext): string {
  const now = Date.parse(r.generatedAt);
  const caughtUp = r.feeds.filter((f) => f.caughtUp && f.consecutiveErrors === 0).length;
  const failing = r.feeds.filter((f) => f.consecutiveErrors > 0).length;
  const body = html`${flash(ctx.retried)}
<section class="cards" aria-label="Summary">
${card('Feeds caught up', `${caughtUp} / ${r.feeds.length}`, failing > 0, failing > 0 ? `${failing} failing` : 'polling for new entries')}
${card('Applied', num(r.stats.applied), false, `since start · ${num(r.stats.dependencies)} dependencies`)}
${card('Waiting for retry', num(r.inbox.pending), false, 'in the inbox')}
${card('Dead letters', num(r.inbox.dead), r.inbox.dead > 0, r.inbox.dead > 0 ? 'need a person' : 'none')}
${ctx.conflicts ? conflictsCard(ctx.conflicts.counts) : ''}
</section>
${ctx.tree ? html`<h2 id="tree-heading">In the tree</h2>\n${treeFigure(ctx.tree)}` : ''}
<h2>Feeds</h2>
${feedsTable(r.feeds, now)}
${trendsSection(r, ctx.history)}
${ctx.conflicts ? conflictsSection(ctx.conflicts, now) : ''}
<h2>Retry queue</h2>
${queue(r)}
<h2 class="bar" id="dead-letters">Dead letters <span class="count">${num(r.inbox.dead)}</span>${r.deadLetters.length > 0 ? retryAllForm(ctx.csrfToken, r.inbox.dead) : ''}</h2>
${deadLetters(r, now, ctx.csrfToken)}`;
  const page = statusDocument({
    title: 'status',
    nodeId: r.nodeId,
    styleNonce: ctx.styleNonce,
    sub: html`As of ${clock(r.generatedAt)} UTC · up ${duration((now - Date.parse(r.startedAt)) / 1000)} · <a href="/">Reload</a> · <a href="/conflicts">Conflicts</a> · <a href="/duplicates">Duplicate patients</a> · <a href="/metrics">Metrics</a>`,
    body,
  });
  return page.text;
}

function flash(retried: number | undefined): Html | '' {
  if (retried === undefined) return '';
  if (retried === 0) return html`<p class="flash none" role="status">Nothing to retry: those dead letters are no longer dead.</p>`;
  return html`<p class="flash" role="status">${retried} dead letter${retried === 1 ? '' : 's'} put back in line for an immediate retry.</p>`;
}

function card(label: string, value: string | number, bad: boolean, sub: string): Html {
  return html`<div class="card${bad ? ' bad' : ''}"><div class="label">${label}</div><div class="value">${value}</div><div class="sub">${sub}</div></div>`;
}

function feedsTable(feeds: FeedReport[], now: number): Html {
  const rows = feeds.map((f) => html`<tr>
<td data-label="Feed"><span class="nowrap" title="${f.feed}">${shortFeed(f.feed)}</span></td>
<td data-label="State">${feedState(f)}</td>
<td data-label="Lag" class="num">${lagCell(f)}</td>
<td data-label="Marker">${f.marker
    ? html`<span class="nowrap">position ${num(f.marker.position)}</span><div class="small mono nowrap" title="${f.marker.lastEntryId}">${shortId(f.marker.lastEntryId)}</div><div class="small nowrap"><span title="${f.marker.lastPageUrl}">${pagePath(f.marker.lastPageUrl)}</span></div>`
    : html`<span class="small">nothing read yet</span>`}</td>
<td data-label="Polled" class="nowrap">${ago(f.lastPollAt, now)}</td>
<td data-label="Succeeded" class="nowrap">${ago(f.lastSuccessAt, now)}</td>
<td data-label="Last error">${f.lastError ? html`<div class="err">${f.lastError}</div><div class="small">${ago(f.lastErrorAt, now)} · ${f.errorsTotal} since start</div>` : html`<span class="small">none</span>`}</td>
</tr>`);
  return html`<div class="scroll"><table class="stack">
<thead><tr><th>Feed</th><th>State</th><th>Lag (events)</th><th>Marker</th><th>Last poll</th><th>Last success</th><th>Last error</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

/** Until the feed is read its lag is unknown, which is not the same as none. */
function lagCell(f: FeedReport): Html {
  return html`${f.readSinceStart ? num(f.lag.events) : '–'}<div class="small">${lagText(f)}</div>`;
}

function feedState(f: FeedReport): Html {
  if (f.consecutiveErrors > 0) return html`<span class="pill bad">failing ×${f.consecutiveErrors}</span>`;
  if (f.readElsewhere) return html`<span class="pill idle">read by another process</span>`;
  if (!f.readSinceStart) return html`<span class="pill idle">starting</span>`;
  if (f.caughtUp) return html`<span class="pill ok">caught up</span>`;
  return html`<span class="pill warn">catching up</span>`;
}

function queue(r: StatusReport): Html {
  if (!r.queue) return html`<p class="empty">No retry queue: Redis does not answer (or the subscriber runs without one). Waiting events are retried once it is back.</p>`;
  const q = r.queue;
  return html`<div class="queue">${QUEUE_STATES.map((s) => html`<span>${s} <strong>${num(q[s])}</strong></span>`)}<span>inbox pending <strong>${num(r.inbox.pending)}</strong></span><span>inbox dead <strong>${num(r.inbox.dead)}</strong></span></div>`;
}

function retryAllForm(token: string, n: number): Html {
  return html`<form method="post" action="/dead-letters/retry-all"><input type="hidden" name="csrf" value="${token}"><button class="primary" type="submit">Retry all ${num(n)}</button></form>`;
}

function deadLetters(r: StatusReport, now: number, token: string): Html {
  if (r.deadLetters.length === 0) return html`<p class="empty">No dead letters: every event read has been applied or is waiting for its retry.</p>`;
  const rows = r.deadLetters.map((d: DeadLetter) => html`<tr id="dead-${d.id}">
<td data-label="#" class="num">#${d.id}</td>
<td data-label="Resource"><strong>${d.resource}</strong> <span class="small">${d.action}</span><div class="mono nowrap">${d.uuid}</div></td>
<td data-label="Feed"><span class="nowrap" title="${d.feed}">${shortFeed(d.feed)}</span><div class="small mono nowrap" title="${d.entryId}">${shortId(d.entryId)}</div></td>
<td data-label="Attempts" class="num">${num(d.attempts)}</td>
<td data-label="Last error"><div class="err">${d.lastError ?? ''}</div></td>
<td data-label="Since" class="nowrap"><time datetime="${d.since}" title="${d.since}">${ago(d.since, now)}</time></td>
<td class="act"><form method="post" action="/dead-letters/${d.id}/retry"><input type="hidden" name="csrf" value="${token}"><button type="submit" aria-label="Retry dead letter #${d.id}">Retry</button></form></td>
</tr>`);
  const more = r.inbox.dead > r.deadLetters.length
    ? html`<p class="small">Showing the first ${DEAD_LETTERS_SHOWN}; Retry all takes every one of the ${r.inbox.dead}.</p>`
    : '';
  return html`<div class="scroll"><table class="stack">
<thead><tr><th>#</th><th>Resource</th><th>Feed</th><th>Attempts</th><th>Last error</th><th>Since</th><th></th></tr></thead>
<tbody>${rows}</tbody>
</table></div>${more}`;
}

function pagePath(url: string | null): string {
  if (!url) return '';
  try {
    const parts = new URL(url).pathname.split('/');
    return `page ${parts.slice(-2).join('/')}`;
  } catch {
    return url;
  }
}

/** `tag:atomfeed.ict4h.org:1b9c...` -> `entry 1b9c5e0a…`. */
function shortId(id: string | null): string {
  if (!id) return '';
  const tail = id.split(':').pop() ?? id;
  return `entry ${tail.slice(0, 8)}${tail.length > 8 ? '…' : ''}`;
}

function clock(iso: string): string {
  return iso.slice(11, 19);
}

function ago(iso: string | null, now: number): Html | string {
  if (!iso) return 'never';
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  return html`<time datetime="${iso}" title="${iso}">${duration(s)} ago</time>`;
}
