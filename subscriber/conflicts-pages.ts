// The conflicts on the subscriber's status page: a count and the open ones on the main page, a
// list of all (/conflicts), and a page per conflict (/conflicts/{id}) with its two versions side
// by side, the differing fields marked, which one every node kept and why, and two buttons to
// settle it (conflicts-routes.ts). HTML for people; the JSON forms are here too. Every value goes
// through the `html` template, which escapes it.
import { ago } from '../shared/web/ago.ts';
import { html } from '../shared/web/html.ts';
import type { Html } from '../shared/web/html.ts';
import { compareVersions, differingFields, whyKept } from './conflicts-compare.ts';
import type { FieldPair } from './conflicts-compare.ts';
import type { Conflict, ConflictCounts, Keep } from './conflicts-store.ts';
import { num, shortFeed } from './status-format.ts';
import { statusDocument } from './status-frame.ts';

export interface ConflictsOverview {
  counts: ConflictCounts;
  /** The newest open ones, at most OPEN_SHOWN. */
  open: Conflict[];
}

/** Open conflicts listed on the main page; /conflicts lists every one. */
export const OPEN_SHOWN = 10;
/** Conflicts listed at most on /conflicts (the counts are always exact). */
export const CONFLICTS_SHOWN = 500;

const whose = (c: Pick<Conflict, 'winner'>) => (c.winner === 'local' ? "this node's" : 'the incoming');

/** A conflict without its versions: what a list shows, and its JSON. */
export function conflictSummary(c: Conflict): object {
  const { kept: _k, other: _o, ...rest } = c;
  return { ...rest, differingFields: differingFields(c) };
}

/** One conflict in full, for machines: both versions, field by field, and why one was kept. */
export function conflictJson(c: Conflict): object {
  return { ...c, why: whyKept(c), fields: compareVersions(c.kept, c.other) };
}

export function conflictsCard(counts: ConflictCounts): Html {
  return html`<div class="card${counts.open > 0 ? ' bad' : ''}"><div class="label"><a href="/conflicts">Conflicts</a></div><div class="value" id="conflicts-open">${num(counts.open)}</div><div class="sub">${counts.open > 0 ? 'to review' : 'none to review'} · ${num(counts.total)} in all</div></div>`;
}

export function conflictsSection(o: ConflictsOverview, now: number): Html {
  const more = o.counts.open > o.open.length ? html`<p class="small">The newest ${o.open.length} of ${num(o.counts.open)} open; <a href="/conflicts">all conflicts</a>.</p>` : '';
  return html`<h2 class="bar" id="conflicts">Conflicts <span class="count">${num(o.counts.open)} open · ${num(o.counts.total)} in all</span> <a class="small" href="/conflicts">all conflicts</a></h2>
${o.open.length === 0 ? html`<p class="empty">No conflict to review.</p>` : conflictsTable(o.open, now)}${more}`;
}

function conflictsTable(conflicts: Conflict[], now: number): Html {
  const rows = conflicts.map((c) => html`<tr id="conflict-${c.id}">
<td data-label="#" class="num"><a href="/conflicts/${c.id}">#${c.id}</a></td>
<td data-label="Resource"><strong>${c.resource}</strong><div class="mono nowrap">${c.uuid}</div></td>
<td data-label="Kept">${whose(c)} version<div class="small">${num(differingFields(c))} field${differingFields(c) === 1 ? '' : 's'} differ</div></td>
<td data-label="Feed"><span class="nowrap" title="${c.feedUrl}">${shortFeed(c.feedUrl)}</span></td>
<td data-label="Detected" class="nowrap"><time datetime="${c.detectedAt}" title="${c.detectedAt}">${ago(now - Date.parse(c.detectedAt))}</time></td>
<td data-label="State">${stateOf(c)}</td>
<td class="act"><a href="/conflicts/${c.id}">${c.resolvedAt ? 'View' : 'Review'}</a></td>
</tr>`);
  return html`<div class="scroll"><table class="stack">
<thead><tr><th>#</th><th>Resource</th><th>Kept</th><th>Feed</th><th>Detected</th><th>State</th><th></th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

function stateOf(c: Conflict): Html {
  if (!c.resolvedAt) return html`<span class="pill warn">open</span>`;
  return html`<span class="pill ok">resolved</span> <span class="small">${c.resolution === 'other' ? 'the other version chosen' : 'the version kept chosen'}</span>`;
}

export function renderConflictList(conflicts: Conflict[], counts: ConflictCounts, ctx: { nodeId: string; styleNonce: string; now: number }): string {
  const body = html`<p><a href="/">← Status</a></p>
<h2 class="bar">Conflicts <span class="count">${num(counts.open)} open · ${num(counts.total)} in all</span></h2>
<p class="small">A conflict is a resource changed here and at another node since they last agreed. Every node kept the same version; the other is kept here for review. Open ones first.</p>
${conflicts.length === 0 ? html`<p class="empty">No conflicts recorded.</p>` : conflictsTable(conflicts, ctx.now)}
${counts.total > conflicts.length ? html`<p class="small">Showing ${num(conflicts.length)} of ${num(counts.total)}.</p>` : ''}`;
  return statusDocument({ title: 'conflicts', nodeId: ctx.nodeId, styleNonce: ctx.styleNonce, sub: html`<a href="/">Status</a> · <a href="/conflicts">Conflicts</a>`, body }).text;
}

export interface ConflictPageContext {
  nodeId: string;
  styleNonce: string;
  /** Goes into both forms; the server refuses a POST without it. */
  csrfToken: string;
  /** What the POST that led here did (from ?resolved=). */
  resolved?: Keep | 'already';
}

export function renderConflictPage(c: Conflict, ctx: ConflictPageContext): string {
  const pairs = compareVersions(c.kept, c.other);
  const differing = pairs.filter((p) => p.differs).length;
  const body = html`<p><a href="/">← Status</a> · <a href="/conflicts">All conflicts</a></p>
${flash(ctx.resolved)}
<h2 class="bar">Conflict #${c.id} <span class="count">${c.resource} <span class="mono">${c.uuid}</span></span> ${stateOf(c)}</h2>
<dl class="facts">
<dt>Detected</dt><dd><time datetime="${c.detectedAt}">${c.detectedAt.replace('T', ' ').replace(/\.\d+Z$/, '')}</time> UTC, reading <span class="mono">${c.feedUrl}</span></dd>
<dt>Kept</dt><dd id="why">${whyKept(c)}</dd>
<dt>Differ</dt><dd>${num(differing)} of ${num(pairs.length)} fields, shown first</dd>
${c.resolvedAt ? html`<dt>Resolved</dt><dd>${c.resolvedAt.replace('T', ' ').replace(/\.\d+Z$/, '')} UTC: ${c.resolution === 'other' ? 'the other version was chosen, and written here as this node’s own change' : 'the version kept was chosen'}</dd>` : ''}
</dl>
<h3>The fields that differ</h3>
${versionsTable(c, pairs.filter((p) => p.differs), 'The fields that differ, side by side')}
${c.resolvedAt ? '' : choices(c, ctx.csrfToken)}
<details class="agree"><summary>The ${num(pairs.length - differing)} fields that agree</summary>
${versionsTable(c, pairs.filter((p) => !p.differs), 'The fields that agree')}
</details>`;
  return statusDocument({ title: `conflict #${c.id}`, nodeId: ctx.nodeId, styleNonce: ctx.styleNonce, sub: html`<a href="/">Status</a> · <a href="/conflicts">Conflicts</a>`, body }).text;
}

function versionsTable(c: Conflict, pairs: FieldPair[], label: string): Html {
  const rows = pairs.map((p) => html`<tr${p.differs ? html` class="differs"` : ''}>
<td class="field">${p.field}</td><td>${p.kept ?? html`<span class="muted">(none)</span>`}</td><td>${p.other ?? html`<span class="muted">(none)</span>`}</td>
</tr>`);
  return html`<div class="scroll"><table class="versions" aria-label="${label}">
<thead><tr><th>Field</th><th class="won">Kept: ${whose(c)} version (won)</th><th>Other: ${c.winner === 'local' ? 'the incoming' : "this node's"} version</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

function choices(c: Conflict, token: string): Html {
  const form = (keep: Keep, label: string, cls: string) => html`<form method="post" action="/conflicts/${c.id}/resolve"><input type="hidden" name="csrf" value="${token}"><input type="hidden" name="keep" value="${keep}"><button type="submit" class="${cls}">${label}</button></form>`;
  return html`<div class="choices" role="group" aria-label="Settle this conflict">
${form('kept', 'Keep this version', 'primary')}
${form('other', 'Keep the other', '')}
</div>
<p class="small">Keep this version: the version every node kept stays, nothing is written. Keep the other: it is written here as this node’s own change, dated now; it is published and wins wherever it arrives.</p>`;
}

function flash(resolved: ConflictPageContext['resolved']): Html | '' {
  if (resolved === undefined) return '';
  if (resolved === 'already') return html`<p class="flash none" role="status">This conflict was resolved already; nothing was done.</p>`;
  return html`<p class="flash" role="status">${resolved === 'other' ? 'Resolved: the other version is now this node’s own change, published to the nodes that read it.' : 'Resolved: the version kept stays.'}</p>`;
}
