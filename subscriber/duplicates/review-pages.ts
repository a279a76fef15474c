// The duplicate patients on the subscriber's status page: a list of the pairs found (/duplicates)
// and a page per pair (/duplicates/{id}) with the two records side by side (names, identifiers,
// birth date, gender, addresses, phones, last visits), why they matched, and the buttons to act
// (review-routes.ts). Patients' data is shown to the signed-in admin only, escaped by `html`;
// nothing here is logged.
import { ago } from '../../shared/web/ago.ts';
import { html } from '../../shared/web/html.ts';
import type { Html } from '../../shared/web/html.ts';
import { num } from '../status-format.ts';
import { statusDocument } from '../status-frame.ts';
import { describeReasons } from './classify.ts';
import type { PatientDetails } from './patient-details.ts';
import type { StoredCandidate } from './store.ts';

/** Pairs listed at most on /duplicates. */
export const PAIRS_SHOWN = 500;

export interface ReviewContext {
  nodeId: string;
  styleNonce: string;
}

const frame = (ctx: ReviewContext, title: string, body: Html) =>
  statusDocument({ title, nodeId: ctx.nodeId, styleNonce: ctx.styleNonce, sub: html`<a href="/">Status</a> · <a href="/duplicates">Duplicate patients</a>`, body }).text;

const state = (c: StoredCandidate) =>
  c.status === 'open' ? html`<span class="pill warn">open</span>` : c.status === 'merged' ? html`<span class="pill ok">merged</span>` : html`<span class="pill">not the same person</span>`;

export function renderPairList(pairs: StoredCandidate[], counts: Record<string, number>, ctx: ReviewContext & { now: number }): string {
  const open = (counts['open certain'] ?? 0) + (counts['open probable'] ?? 0);
  const rows = pairs.map((c) => html`<tr id="pair-${c.id}">
<td data-label="#" class="num"><a href="/duplicates/${c.id}">#${c.id}</a></td>
<td data-label="Patients"><div class="mono nowrap">${c.patientA}</div><div class="mono nowrap">${c.patientB}</div></td>
<td data-label="Class">${c.class}</td>
<td data-label="Score" class="num">${c.score.toFixed(1)}</td>
<td data-label="Found" class="nowrap"><time datetime="${c.detectedAt}">${ago(ctx.now - Date.parse(c.detectedAt))}</time></td>
<td data-label="State">${state(c)}</td>
<td class="act"><a href="/duplicates/${c.id}">${c.status === 'open' ? 'Review' : 'View'}</a></td>
</tr>`);
  const body = html`<p><a href="/">← Status</a></p>
<h2 class="bar">Duplicate patients <span class="count">${num(open)} to review</span></h2>
<p class="small">Pairs of patients that may be one person registered twice (atomsync duplicates scan, and detection on arrival). Certain: the same identifier of a type unique to one person. Probable: a score over names, birth date, gender, address and phone. Open ones first.</p>
${pairs.length === 0 ? html`<p class="empty">No pairs found.</p>` : html`<div class="scroll"><table class="stack"><thead><tr><th>#</th><th>Patients</th><th>Class</th><th>Score</th><th>Found</th><th>State</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`}`;
  return frame(ctx, 'duplicate patients', body);
}

export interface PairPageContext extends ReviewContext {
  csrfToken: string;
  /** Merging is offered (the database holds what it needs). */
  canMerge: boolean;
  /** What the POST that led here did (?done=). */
  done?: string;
}

export function renderPairPage(c: StoredCandidate, a: PatientDetails, b: PatientDetails, ctx: PairPageContext): string {
  const line = (label: string, f: (p: PatientDetails) => Html | string) => html`<tr><td class="field">${label}</td><td>${f(a)}</td><td>${f(b)}</td></tr>`;
  const list = (xs: string[]) => (xs.length ? html`${xs.map((x, i) => html`${i ? html`<br>` : ''}${x}`)}` : html`<span class="muted">(none)</span>`);
  const body = html`<p><a href="/">← Status</a> · <a href="/duplicates">All pairs</a></p>
${ctx.done ? html`<p class="flash" role="status">${ctx.done}</p>` : ''}
<h2 class="bar">Pair #${c.id} <span class="count">${c.class}, score ${c.score.toFixed(1)}</span> ${state(c)}</h2>
<dl class="facts"><dt>Why</dt><dd id="why">${describeReasons(c.reasons)}</dd></dl>
<div class="scroll"><table class="versions" aria-label="The two patients side by side">
<thead><tr><th>Field</th><th>Patient A <span class="mono small">${a.uuid}</span></th><th>Patient B <span class="mono small">${b.uuid}</span></th></tr></thead>
<tbody>
${line('Names', (p) => list(p.names))}
${line('Identifiers', (p) => list(p.identifiers))}
${line('Birth date', (p) => p.birthdate || html`<span class="muted">(none)</span>`)}
${line('Gender', (p) => p.gender || html`<span class="muted">(none)</span>`)}
${line('Addresses', (p) => list(p.addresses))}
${line('Phones', (p) => list(p.phones))}
${line('Last visits', (p) => list(p.visits))}
${line('State', (p) => (!p.found ? 'gone' : p.voided ? 'voided' : 'active'))}
</tbody></table></div>
${c.status === 'open' && a.found && b.found && !a.voided && !b.voided ? choices(c, ctx) : ''}`;
  return frame(ctx, `pair #${c.id}`, body);
}

function choices(c: StoredCandidate, ctx: PairPageContext): Html {
  const form = (action: string, fields: Record<string, string>, label: string, cls: string) =>
    html`<form method="post" action="/duplicates/${c.id}/${action}"><input type="hidden" name="csrf" value="${ctx.csrfToken}">${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}<button type="submit" class="${cls}">${label}</button></form>`;
  return html`<div class="choices" role="group" aria-label="Decide this pair">
${ctx.canMerge ? html`${form('merge', { keep: c.patientA }, 'Same person: keep A', 'primary')}
${form('merge', { keep: c.patientB }, 'Same person: keep B', '')}` : ''}
${form('reject', {}, 'Not the same person', '')}
</div>
<p class="small">${ctx.canMerge ? 'Keep A or B merges the other into it as OpenMRS does (its visits, encounters, observations and orders move; its names, identifiers and addresses are copied; it is voided as merged), published to every node as ordinary changes. ' : ''}Not the same person: the pair is never proposed again.</p>`;
}
