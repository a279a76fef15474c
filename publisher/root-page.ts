// The publisher's front page: its feeds and how far each subscriber has read them.
// The model is built once and shown either as HTML or as JSON.
import { ALL_CATEGORY, feedPageUrl, RECENT, trimSlashes } from '../shared/protocol.ts';
import type { FeedHead } from './event-store.ts';
import { html } from '../shared/web/html.ts';
import type { Html } from '../shared/web/html.ts';
import { layout, table, timeTag } from './page-layout.ts';
import { newestPage, pageRange, uniformLayout } from './paging.ts';
import type { Layout } from './paging.ts';
import type { SnapshotState } from '../shared/schema/snapshot-state.ts';
import { lagOf } from './subscriber-positions.ts';
import type { PeerLine } from './bundle/peer-lines.ts';
import type { SubscriberPosition } from './subscriber-positions.ts';
import type { TreeModel } from '../shared/web/tree-model.ts';
import { treeFigure } from '../shared/web/tree-svg.ts';

export interface FeedSummary {
  category: string;
  /** Events in the feed: its newest position. */
  events: number;
  /** The working page's number. */
  newestPage: number;
  newestPublishedAt: string | null;
  recentUrl: string;
}

export interface SubscriberSummary {
  /** The user the subscriber authenticated as: positions are kept per user. */
  subscriber: string;
  /** The node id its last request named (the x-atomsync-subscriber header), when known: a label only. */
  node: string | null;
  feed: string;
  /** Highest page fetched. */
  page: number;
  /** Positions on that page, first to the newest one the subscriber has been sent. */
  firstPosition: number;
  position: number;
  /** Events published since: what the subscriber has not been sent yet. */
  behind: number;
  seenAt: string;
}

export interface RootModel {
  nodeId: string;
  baseUrl: string;
  pageSize: number;
  feeds: FeedSummary[];
  subscribers: SubscriberSummary[];
  /** The snapshot's progress per resource (the rows that predate atomsync); empty when none was asked for. */
  snapshot: SnapshotState[];
  /** This node's parents and children (for admins; shared/web/tree-model.ts). */
  tree?: TreeModel;
  /** Peers reached by file (atomsync export): for admins. */
  peers?: PeerLine[];
  /** ms since the epoch, for "seen 5 s ago". */
  now: number;
}

export function buildRootModel(o: {
  nodeId: string;
  baseUrl: string;
  /** The size new pages get. */
  pageSize: number;
  /** How each feed's pages map to positions (uniform pages of pageSize when absent). */
  layoutOf?: (feed: string) => Layout;
  heads: Array<{ category: string; head: FeedHead }>;
  positions: SubscriberPosition[];
  snapshot?: SnapshotState[];
  tree?: TreeModel;
  peers?: PeerLine[];
  now: number;
}): RootModel {
  const baseUrl = trimSlashes(o.baseUrl);
  const counts = new Map(o.heads.map((h) => [h.category, h.head.count]));
  const layoutOf = o.layoutOf ?? (() => uniformLayout(o.pageSize));
  return {
    nodeId: o.nodeId,
    baseUrl,
    pageSize: o.pageSize,
    now: o.now,
    snapshot: o.snapshot ?? [],
    ...(o.tree ? { tree: o.tree } : {}),
    ...(o.peers?.length ? { peers: o.peers } : {}),
    feeds: o.heads.map(({ category, head }) => ({
      category,
      events: head.count,
      newestPage: newestPage(layoutOf(category), head.count),
      newestPublishedAt: head.newestPublishedAt,
      recentUrl: feedPageUrl(baseUrl, category, RECENT),
    })),
    subscribers: o.positions.map((p) => ({
      subscriber: p.subscriber,
      node: p.node ?? null,
      feed: p.feed,
      page: p.page,
      firstPosition: pageRange(layoutOf(p.feed), p.page).first,
      position: p.position,
      behind: lagOf(p, counts.get(p.feed) ?? 0),
      seenAt: new Date(p.seenAt).toISOString(),
    })),
  };
}

/** The JSON answer: the model without the clock. */
export function rootJson(m: RootModel): object {
  return { nodeId: m.nodeId, pageSize: m.pageSize, feeds: m.feeds, subscribers: m.subscribers, snapshot: m.snapshot, ...(m.tree ? { tree: m.tree } : {}), ...(m.peers ? { peers: m.peers } : {}) };
}

export function renderRootHtml(m: RootModel): string {
  const total = m.feeds.find((f) => f.category === ALL_CATEGORY);
  const feedRows = m.feeds.map(
    (f) => html`<tr${f.category === ALL_CATEGORY ? html` class="total"` : ''}>
<td><a href="${f.recentUrl}">${f.category}</a></td>
<td class="num">${f.events.toLocaleString('en-US')}</td>
<td class="num">${f.newestPage > 1 ? html`<a href="${feedPageUrl(m.baseUrl, f.category, 1)}">1</a> … ` : ''}<a href="${feedPageUrl(m.baseUrl, f.category, f.newestPage)}">${f.newestPage}</a></td>
<td>${f.newestPublishedAt ? timeTag(f.newestPublishedAt) : html`<span class="muted">none yet</span>`}</td>
</tr>`,
  );
  const body = html`<h1>${m.nodeId}</h1>
<p class="sub">atomsync publisher · ${total ? html`${total.events.toLocaleString('en-US')} events · ` : ''}pages of ${m.pageSize} · times in UTC</p>
${m.tree ? html`<h2>In the tree</h2>\n${treeFigure(m.tree)}` : ''}
<h2>Feeds</h2>
${table(html`<tr><th>feed</th><th class="num">events</th><th class="num">pages</th><th>newest event</th></tr>`, feedRows)}
<h2>Subscribers</h2>
${table(
  html`<tr><th>subscriber</th><th>feed</th><th class="num">behind</th><th>last seen</th><th class="num">last page</th><th class="num">positions</th></tr>`,
  m.subscribers.map((s) => subscriberRow(s, m)),
  m.subscribers.length
    ? undefined
    : html`No subscriber has polled yet. A subscriber that sends the <code>x-atomsync-subscriber</code> header is listed under the user it signs in as.`,
)}${m.peers ? peersSection(m.peers) : ''}${m.snapshot.length ? snapshotSection(m.snapshot) : ''}`;
  return layout({
    title: 'feeds',
    nodeId: m.nodeId,
    baseUrl: m.baseUrl,
    body,
    footer: html`Feeds: <code>/openmrs/ws/atomfeed/{feed}/recent</code> and <code>/{page}</code>, Atom for feed readers, this view for browsers. Positions are estimated from the pages each subscriber fetches. <a href="${m.baseUrl}/metrics">Prometheus metrics</a>.`,
  }).text;
}

/** The snapshot: rows that existed before atomsync, published once per resource in dependency order. */
function snapshotSection(states: SnapshotState[]): Html {
  const pending = states.filter((s) => s.status !== 'done').length;
  const rows = states.map((s) => {
    const total = s.rowsTotal ?? 0;
    const pct = total > 0 ? Math.floor((100 * s.rowsDone) / total) : s.status === 'done' ? 100 : 0;
    const badge =
      s.status === 'done'
        ? html`<span class="badge ok">done</span>`
        : html`<span class="badge warn">${s.status === 'running' ? `${pct}%` : 'waiting'}</span>`;
    return html`<tr>
<td>${s.resource}</td>
<td>${badge}</td>
<td class="num">${s.rowsDone.toLocaleString('en-US')}</td>
<td class="num">${s.rowsTotal === null ? html`<span class="muted">not counted yet</span>` : s.rowsTotal.toLocaleString('en-US')}</td>
<td>${timeTag(s.requestedAt.replace(' ', 'T') + 'Z')}</td>
<td>${s.finishedAt ? timeTag(s.finishedAt.replace(' ', 'T') + 'Z') : html`<span class="muted">-</span>`}</td>
</tr>`;
  });
  return html`<h2>Snapshot</h2>
<p class="sub">${pending ? `${pending} resource${pending === 1 ? '' : 's'} still publishing the rows that were here before atomsync` : 'Every existing row has been published.'}</p>
${table(html`<tr><th>resource</th><th>status</th><th class="num">published</th><th class="num">rows</th><th>requested</th><th>finished</th></tr>`, rows)}`;
}

/** Peers reached by carrying files: what was sent, what came back acknowledged, what waits. */
function peersSection(peers: PeerLine[]): Html {
  const rows = peers.map((p) => {
    const pending = p.pending === 0 ? html`<span class="badge ok">all acknowledged</span>` : html`<span class="badge warn">${p.pending.toLocaleString('en-US')} waiting</span>`;
    const at = (s: string | null) => (s ? timeTag(s.replace(' ', 'T') + 'Z') : html`<span class="muted">never</span>`);
    return html`<tr>
<td><strong>${p.peer}</strong> <span class="muted">${p.feed === 'all' ? 'whole log' : 'catchment'}</span></td>
<td class="num">${pending}</td>
<td class="num">${p.sentTo}</td>
<td class="num">${p.ackedTo}</td>
<td>${at(p.lastSentAt)}</td>
<td>${at(p.lastAckedAt)}</td>
</tr>`;
  });
  return html`<h2>Peers by file</h2>
${table(html`<tr><th>peer</th><th class="num">pending</th><th class="num">sent to</th><th class="num">acknowledged to</th><th>last sent</th><th>last acknowledged</th></tr>`, rows)}`;
}

function subscriberRow(s: SubscriberSummary, m: RootModel): Html {
  const behind =
    s.behind === 0
      ? html`<span class="badge ok">caught up</span>`
      : html`<span class="badge warn">${s.behind.toLocaleString('en-US')} event${s.behind === 1 ? '' : 's'}</span>`;
  return html`<tr>
<td><strong>${s.subscriber}</strong>${s.node ? html` <span class="muted">node ${s.node}</span>` : ''}</td>
<td><a href="${feedPageUrl(m.baseUrl, s.feed, RECENT)}">${s.feed}</a></td>
<td class="num">${behind}</td>
<td>${ago(m.now - Date.parse(s.seenAt))} <span class="muted">· ${timeTag(s.seenAt)}</span></td>
<td class="num"><a href="${feedPageUrl(m.baseUrl, s.feed, s.page)}">${s.page}</a></td>
<td class="num">${s.position >= s.firstPosition ? `${s.firstPosition}–${s.position}` : s.position}</td>
</tr>`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}
