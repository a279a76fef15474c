// A node's place in the tree as a picture (the model: tree-model.ts): this node as a band in the
// middle, its parents above, its children below, one box and one arrow per edge. The arrow points
// the way data flows and is labelled with the feed (catchment or `all`), the direction and the
// transport; its colour says the lag (ok, behind, failing, never read). Inline SVG drawn on the
// server, styled by the one stylesheet (style.ts): no script, no font, nothing fetched, so the
// pages' Content-Security-Policy holds. Every value goes through the `html` template, which
// escapes it for SVG as for HTML.
import { html } from './html.ts';
import type { Html } from './html.ts';
import type { LagState, TreeEdge, TreeModel } from './tree-model.ts';

const W = 760;
const BOX_H = 52;
const SELF_H = 56;
/** Between a row of boxes and the band: room for the arrow and its two-line label. */
const GAP = 86;
/** A row without boxes is one line of text. */
const EMPTY_ROW = 28;

/** Where the rows go: a row without edges takes one line, not a row of boxes. */
interface Rows {
  parents: number;
  self: number;
  children: number;
  height: number;
}

function rowsOf(m: TreeModel): Rows {
  const self = 8 + (m.parents.length ? BOX_H + GAP : EMPTY_ROW);
  const children = self + SELF_H + (m.children.length ? GAP : 6);
  return { parents: 8, self, children, height: children + (m.children.length ? BOX_H : EMPTY_ROW) + 8 };
}
/** Boxes per row; beyond it the last box counts the rest. */
export const TREE_COLUMNS = 6;
const STATES: readonly LagState[] = ['ok', 'behind', 'failing', 'never'];
export const STATE_WORDS: Record<LagState, string> = { ok: 'ok', behind: 'behind', failing: 'failing', never: 'never read' };

/** The picture with its legend, as a figure for either admin UI. */
export function treeFigure(m: TreeModel): Html {
  return html`<figure class="tree card" id="tree" aria-labelledby="tree-caption">
${treeSvg(m)}
<figcaption id="tree-caption" class="small">Arrows point the way data flows: <strong>down</strong> from a parent's catchment feed, <strong>up</strong> through a child's <code>all</code> feed.
${STATES.map((s) => html` <span class="pill ${pillClass(s)}">${STATE_WORDS[s]}</span>`)}</figcaption>
</figure>`;
}

export function treeSvg(m: TreeModel): Html {
  const at = rowsOf(m);
  const summary = `${m.nodeId}: ${m.parents.length} parent edge${m.parents.length === 1 ? '' : 's'}, ${m.children.length} child edge${m.children.length === 1 ? '' : 's'}`;
  return html`<svg class="tree-svg" viewBox="0 0 ${W} ${at.height}" role="img" aria-label="${summary}" xmlns="http://www.w3.org/2000/svg">
<title>${summary}</title>
<defs>${STATES.map((s) => html`<marker id="tree-arrow-${s}" class="head-${s}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z"/></marker>`)}</defs>
${row(m.parents, 'parent', at)}
<g class="self"><rect x="8" y="${at.self}" width="${W - 16}" height="${SELF_H}" rx="10"/>
<text class="self-name" x="${W / 2}" y="${at.self + 24}" text-anchor="middle">${fit(m.nodeId, W - 60, 8.5)}</text>
<text class="self-sub" x="${W / 2}" y="${at.self + 44}" text-anchor="middle">this node · ${m.parents.length} above · ${m.children.length} below</text></g>
${row(m.children, 'child', at)}
</svg>`;
}

function row(edges: TreeEdge[], side: 'parent' | 'child', at: Rows): Html {
  const y = side === 'parent' ? at.parents : at.children;
  if (edges.length === 0) {
    const none = side === 'parent' ? 'No parent: no catchment feed read here, no reader of this node’s all feed' : 'No child: no all feed read here, no reader of a catchment feed';
    return html`<text class="none" x="${W / 2}" y="${y + EMPTY_ROW / 2 + 4}" text-anchor="middle">${none}</text>`;
  }
  const shown = edges.length > TREE_COLUMNS ? edges.slice(0, TREE_COLUMNS - 1) : edges;
  const cols = edges.length > TREE_COLUMNS ? TREE_COLUMNS : edges.length;
  const colW = W / cols;
  const out = shown.map((e, i) => edgeGroup(e, colW * (i + 0.5), Math.min(220, colW - 12), y, at));
  if (shown.length < edges.length) out.push(moreBox(edges.slice(shown.length), colW * (cols - 0.5), Math.min(220, colW - 12), y));
  return html`<g class="row ${side === 'parent' ? 'parents' : 'children'}">${out}</g>`;
}

function edgeGroup(e: TreeEdge, cx: number, boxW: number, y: number, at: Rows): Html {
  const arrow = arrowOf(e.side, e.flow, at);
  const mid = (arrow.y1 + arrow.y2) / 2;
  const detail = `${e.side} ${e.peer} (${e.peerDetail}): ${e.reading === 'reads' ? 'this node reads its' : 'it reads this node’s'} ${e.feed} feed, data flowing ${e.flow} over ${e.transport}; ${e.lagText.startsWith(STATE_WORDS[e.state]) ? '' : `${STATE_WORDS[e.state]}: `}${e.lagText}`;
  return html`<g class="edge t-${e.state}" data-side="${e.side}" data-flow="${e.flow}" data-state="${e.state}" data-peer="${e.peer}" data-feed="${e.feed}">
<title>${detail}</title>
<rect class="peer" x="${r1(cx - boxW / 2)}" y="${y}" width="${r1(boxW)}" height="${BOX_H}" rx="8"/>
<text class="peer-name" x="${r1(cx)}" y="${y + 21}" text-anchor="middle">${fit(e.peer, boxW - 12, 7.4)}</text>
<text class="peer-lag" x="${r1(cx)}" y="${y + 40}" text-anchor="middle">${fit(e.lagText, boxW - 12, 6.2)}</text>
<line class="arrow" x1="${r1(cx)}" y1="${arrow.y1}" x2="${r1(cx)}" y2="${arrow.y2}" marker-end="url(#tree-arrow-${e.state})"/>
<text class="label" x="${r1(cx)}" y="${mid - 4}" text-anchor="middle">${fit(e.feedLabel, boxW, 6.6)}</text>
<text class="label" x="${r1(cx)}" y="${mid + 12}" text-anchor="middle">${e.flow === 'down' ? '↓ down' : '↑ up'} · ${fit(e.transport, 60, 6.6)}</text>
</g>`;
}

/** The edges that do not fit, counted in one box, worst state first. */
function moreBox(rest: TreeEdge[], cx: number, boxW: number, y: number): Html {
  const worst = (['failing', 'behind', 'never', 'ok'] as const).find((s) => rest.some((e) => e.state === s)) ?? 'ok';
  const names = rest.map((e) => `${e.peer} (${e.feed}, ${STATE_WORDS[e.state]})`).join('; ');
  return html`<g class="edge more t-${worst}" data-more="${rest.length}"><title>${names}</title>
<rect class="peer" x="${r1(cx - boxW / 2)}" y="${y}" width="${r1(boxW)}" height="${BOX_H}" rx="8"/>
<text class="peer-name" x="${r1(cx)}" y="${y + 21}" text-anchor="middle">+${rest.length} more</text>
<text class="peer-lag" x="${r1(cx)}" y="${y + 40}" text-anchor="middle">worst: ${STATE_WORDS[worst]}</text></g>`;
}

/** Where an edge's arrow runs: between its box and the band, pointing the way data flows. */
function arrowOf(side: 'parent' | 'child', flow: 'down' | 'up', at: Rows): { y1: number; y2: number } {
  const [top, bottom] = side === 'parent' ? [at.parents + BOX_H, at.self] : [at.self + SELF_H, at.children];
  return flow === 'down' ? { y1: top + 2, y2: bottom - 2 } : { y1: bottom - 2, y2: top + 2 };
}

/** Cuts text to about `px` wide at `charPx` a character (no font metrics on the server). */
function fit(s: string, px: number, charPx: number): string {
  const n = Math.max(4, Math.floor(px / charPx));
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

function pillClass(s: LagState): string {
  return s === 'behind' ? 'warn' : s === 'failing' ? 'bad' : s === 'never' ? 'idle' : 'ok';
}
