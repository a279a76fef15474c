// Feed pages, resources and errors as HTML, for a person with a browser. Pure functions
// of their model: a complete feed page renders to the same bytes every time, so its
// HTML is cached as immutably as its Atom. Every value goes through the `html` escaper.
import { FEED_PATH, feedPageUrl, RECENT, Rel, REST_PATH, restPath, trimSlashes } from '../shared/protocol.ts';
import { checkFeedPageModel, feedLinks, firstPositionOf } from './atom/render.ts';
import type { FeedEvent, FeedPageModel } from '../shared/feed-types.ts';
import { isResourceName } from '../shared/resources.ts';
import { escapeHtml, html, raw } from '../shared/web/html.ts';
import type { Html } from '../shared/web/html.ts';
import { layout, table, timeTag } from './page-layout.ts';

const ACTION_BADGE: Record<string, string> = {
  CREATED: 'ok',
  UPDATED: '',
  UNVOIDED: 'ok',
  VOIDED: 'warn',
  RETIRED: 'warn',
  DELETED: 'bad',
};

export function renderFeedHtml(m: FeedPageModel): string {
  // A complete page is cached forever: it must hold every event of its range, as the Atom one must.
  checkFeedPageModel(m);
  const baseUrl = trimSlashes(m.baseUrl);
  const links = Object.fromEntries(feedLinks(m, baseUrl));
  const complete = m.page < m.newestPage;
  const first = firstPositionOf(m);
  const events = [...m.events].sort((a, b) => a.seq - b.seq);
  const range = events.length ? html`positions ${first}–${events[events.length - 1]!.position}` : html`positions from ${first}`;
  const status = complete
    ? html`<span class="badge">archive</span> complete, never changes`
    : html`<span class="badge ok">working page</span> newest page, still filling`;
  const link = (rel: string, label: string) =>
    links[rel] ? html`<a rel="${rel}" href="${links[rel]}">${label}</a>` : html`<span>${label}</span>`;
  const pager = html`<nav class="pager" aria-label="pages">
${link(Rel.prevArchive, '← older')}
${m.asRecent || !complete ? html`<span>recent</span>` : html`<a rel="${Rel.current}" href="${feedPageUrl(baseUrl, m.category, RECENT)}">recent</a>`}
${link(Rel.nextArchive, 'newer →')}
</nav>`;
  const body = html`<h1>${m.category} feed · page ${m.page}</h1>
<p class="sub">${status} · ${range} · ${events.length} of ${m.pageSize} events${m.asRecent ? html` · shown at <a href="${links[Rel.via]}">page ${m.page}</a>` : ''}</p>
${pager}
${table(
  html`<tr><th class="num">position</th><th>resource</th><th>action</th><th>changed (UTC)</th><th>origin</th><th class="num">seq</th></tr>`,
  events.map((e) => entryRow(e, baseUrl)),
  events.length ? undefined : 'No events on this page yet.',
)}
${events.length > 15 ? pager : ''}`;
  return layout({
    title: `${m.category} ${m.asRecent ? RECENT : `page ${m.page}`}`,
    nodeId: m.nodeId,
    baseUrl,
    body,
    footer: html`Atom clients get this same address as an Atom feed (<code>Accept: application/atom+xml</code>). Entries are oldest first; page ${m.page} holds positions ${first}–${first + m.pageSize - 1}.`,
  }).text;
}

function entryRow(e: FeedEvent, baseUrl: string): Html {
  // Position, resource and action first: on a phone they are what shows before scrolling.
  return html`<tr>
<td class="num">${e.position}</td>
<td>${e.resource} <a class="mono" href="${baseUrl}${restPath(e.resource, e.uuid)}" title="${e.uuid}">${e.uuid.slice(0, 8)}…</a></td>
<td><span class="badge ${ACTION_BADGE[e.action] ?? ''}">${e.action}</span></td>
<td title="published ${e.publishedAt}">${timeTag(e.changedAt)}</td>
<td>${e.origin}</td>
<td class="num">${e.seq}</td>
</tr>`;
}

export interface ResourceHtmlModel {
  nodeId: string;
  baseUrl: string;
  resource: string;
  /** The one resource shown, or undefined for a list request. */
  uuid?: string;
  json: unknown;
}

/** Characters of pretty-printed JSON highlighted between two turns of the event loop (~3 ms of work). */
const SLICE_CHARS = 32 * 1024;

/**
 * A REST resource for a browser: its JSON, pretty-printed, with links to the resources it refers to.
 * A list of 200 full obs is 600 KB of JSON and 1.5 MB of HTML: it is highlighted in slices, letting
 * the event loop serve other readers' requests between them (fair-share.ts bounds how many run).
 */
export async function renderResourceHtml(m: ResourceHtmlModel): Promise<string> {
  const baseUrl = trimSlashes(m.baseUrl);
  const display = (m.json as { display?: unknown }).display;
  const text = JSON.stringify(m.json, null, 2);
  const slices: Html[] = [];
  // JSON.stringify escapes newlines inside strings, so no token spans a line: slices end at one.
  for (let from = 0; from < text.length; ) {
    const nl = text.indexOf('\n', from + SLICE_CHARS);
    const to = nl < 0 ? text.length : nl + 1;
    slices.push(highlightJson(text.slice(from, to), baseUrl));
    from = to;
    if (from < text.length) await new Promise((resolve) => setImmediate(resolve));
  }
  const body = html`<h1>${m.resource}${m.uuid ? html` <span class="mono muted">${m.uuid}</span>` : ' list'}</h1>
<p class="sub">${typeof display === 'string' && display ? html`${display} · ` : ''}OpenMRS REST representation${m.uuid ? html` · <a href="${feedPageUrl(baseUrl, m.resource, RECENT)}">${m.resource} feed</a>` : ''}</p>
<div class="card"><pre class="json">${slices}</pre></div>`;
  return layout({
    title: m.uuid ? `${m.resource} ${m.uuid.slice(0, 8)}` : `${m.resource} list`,
    nodeId: m.nodeId,
    baseUrl,
    body,
    footer: html`Subscribers get this same address as JSON (<code>Accept: application/json</code>).`,
  }).text;
}

// Strings (a key when a colon follows), literals and numbers of JSON.stringify's output.
const JSON_TOKEN = /("(?:[^"\\]|\\.)*")(\s*:)?|\b(?:true|false|null)\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * Escapes pretty-printed JSON, colours its tokens, and turns the URLs of resources this node serves
 * into links. Built as one string with every piece of text through escapeHtml (an Html per token
 * took twice as long).
 */
export function highlightJson(text: string, baseUrl: string): Html {
  const prefix = `${baseUrl}${REST_PATH}/`;
  let out = '';
  let last = 0;
  for (const m of text.matchAll(JSON_TOKEN)) {
    const [token, str, colon] = m;
    out += escapeHtml(text.slice(last, m.index));
    if (str !== undefined && colon !== undefined) out += `<span class="k">${escapeHtml(str)}</span>${escapeHtml(colon)}`;
    else if (str !== undefined) out += `<span class="s">${stringToken(str, prefix)}</span>`;
    else out += `<span class="${/^[tfn]/.test(token) ? 'l' : 'n'}">${escapeHtml(token)}</span>`;
    last = m.index + token.length;
  }
  return raw(out + escapeHtml(text.slice(last)));
}

/** A JSON string token, escaped; a link when it is the URL of a resource served here. */
function stringToken(str: string, prefix: string): string {
  const value = str.slice(1, -1);
  // Only plain URLs (nothing JSON had to escape) of resources served here: a user link would only 404.
  if (!value.startsWith(prefix) || /["\\\s]/.test(value)) return escapeHtml(str);
  if (!isResourceName(value.slice(prefix.length).split('/')[0]!)) return escapeHtml(str);
  const href = escapeHtml(value);
  return `"<a href="${href}">${href}</a>"`;
}

/** An error page. Without a node id (before signing in) it names nothing about the node. */
export function renderErrorHtml(o: { nodeId?: string; baseUrl: string; status: number; message: string }): string {
  const body = html`<h1>${o.status} · ${STATUS_TEXT[o.status] ?? 'Error'}</h1>
<p class="sub">${o.message}</p>
${o.nodeId ? html`<p><a href="${o.baseUrl}/">All feeds</a> · <a href="${o.baseUrl}${FEED_PATH}/all/recent">recent changes</a></p>` : ''}`;
  return layout({ title: String(o.status), nodeId: o.nodeId, baseUrl: o.baseUrl, body }).text;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Sign in required',
  403: 'Not allowed',
  404: 'Not found',
  429: 'Too many attempts',
  500: 'Internal error',
};
