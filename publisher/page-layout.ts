// The frame every admin page shares: document head, a small stylesheet, the top bar.
// No scripts and no external assets: the pages must work on a clinic's offline network,
// and on a phone (the tables scroll sideways instead of squeezing).
import { createHash } from 'node:crypto';
import { html, raw } from '../shared/web/html.ts';
import type { Html, HtmlValue } from '../shared/web/html.ts';

const STYLE = raw(`
:root{--fg:#1d2430;--muted:#5d6878;--bg:#f6f7f9;--card:#fff;--line:#e2e6eb;--accent:#1f5fbf;--accent-bg:#e8f0fc;
--key:#6b3fa0;--ok:#17643a;--ok-bg:#e3f4ea;--warn:#8a5300;--warn-bg:#fdf1dc;--bad:#a1242d;--bad-bg:#fbe6e7;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
@media (prefers-color-scheme:dark){:root{--fg:#e4e8ee;--muted:#9aa5b4;--bg:#14181e;--card:#1c222a;--line:#2d3540;--accent:#8db7ff;--accent-bg:#1f2d44;
--key:#c7a6ff;--ok:#7fd6a1;--ok-bg:#183325;--warn:#f0c36b;--warn-bg:#3a2c12;--bad:#ff9aa1;--bad-bg:#3d1c1f}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
.top{display:flex;flex-wrap:wrap;align-items:baseline;gap:.25rem 1rem;padding:.7rem 1.25rem;background:var(--card);border-bottom:1px solid var(--line)}
.brand{font-weight:700;color:var(--fg);letter-spacing:.01em}
.node{font-family:var(--mono);font-size:.9em;color:var(--muted)}
.top nav{margin-left:auto;display:flex;gap:1rem}
main{max-width:76rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.45rem;line-height:1.25;margin:.25rem 0 .35rem}
h2{font-size:1.1rem;margin:2rem 0 .6rem}
.sub{color:var(--muted);margin:0 0 1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.93rem}
th,td{padding:.5rem .8rem;text-align:left;white-space:nowrap;border-bottom:1px solid var(--line)}
th{font-size:.78rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;background:var(--card);position:sticky;top:0}
tbody tr:last-child td{border-bottom:0}
tbody tr:nth-child(even){background:color-mix(in srgb,var(--bg) 55%,var(--card))}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.mono{font-family:var(--mono);font-size:.88em}
.muted{color:var(--muted)}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.78rem;font-weight:600;letter-spacing:.02em;background:var(--accent-bg);color:var(--accent)}
.badge.ok{background:var(--ok-bg);color:var(--ok)}.badge.warn{background:var(--warn-bg);color:var(--warn)}.badge.bad{background:var(--bad-bg);color:var(--bad)}
.pager{display:flex;flex-wrap:wrap;gap:.5rem;margin:1rem 0}
.pager a,.pager span{padding:.4rem .85rem;border:1px solid var(--line);border-radius:6px;background:var(--card)}
.pager span{color:var(--muted);opacity:.6}
.empty{padding:1.5rem;text-align:center;color:var(--muted)}
pre{margin:0;padding:1rem 1.1rem;overflow-x:auto;font:13px/1.55 var(--mono);tab-size:2}
.json .k{color:var(--key)}.json .s{color:var(--ok)}.json .n{color:var(--bad)}.json .l{color:var(--warn);font-weight:600}
.json a{color:var(--accent);text-decoration:underline;text-decoration-color:color-mix(in srgb,var(--accent) 40%,transparent)}
tr.total td{font-weight:600}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1rem}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
footer{max-width:76rem;margin:0 auto;padding:0 1.25rem 2rem;color:var(--muted);font-size:.85rem}
code{font-family:var(--mono);font-size:.88em;background:var(--accent-bg);padding:.05rem .3rem;border-radius:4px}
@media (max-width:560px){main,footer{padding-left:.75rem;padding-right:.75rem}main{padding-top:1rem}.top{padding:.6rem .75rem}h1{font-size:1.25rem}th,td{padding:.45rem .6rem}pre{font-size:12px;padding:.75rem}}
`);

/**
 * The stylesheet as a Content-Security-Policy source (security-headers.ts). A hash, not a nonce:
 * complete pages are cached as bytes and served many times, so they cannot carry a fresh nonce.
 */
export const STYLE_CSP_SOURCE = `'sha256-${createHash('sha256').update(STYLE.text).digest('base64')}'`;

export interface LayoutOptions {
  title: string;
  /** Absent on pages shown before signing in. */
  nodeId?: string;
  /** Origin (and path prefix) of this publisher, for the top bar's links. */
  baseUrl: string;
  body: HtmlValue;
  footer?: HtmlValue;
}

export function layout(o: LayoutOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${o.title} · atomsync${o.nodeId ? ` ${o.nodeId}` : ''}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top"><a class="brand" href="${o.baseUrl}/">atomsync</a>${o.nodeId ? html`<span class="node">${o.nodeId}</span><nav><a href="${o.baseUrl}/">feeds</a><a href="${o.baseUrl}/metrics">metrics</a></nav>` : ''}</header>
<main>
${o.body}
</main>
${o.footer ? html`<footer>${o.footer}</footer>` : ''}
</body>
</html>
`;
}

/** A table that scrolls sideways on a narrow screen rather than squeezing its columns. */
export function table(head: HtmlValue, rows: HtmlValue, empty?: HtmlValue): Html {
  return html`<div class="card scroll"><table><thead>${head}</thead><tbody>${rows}</tbody></table>${empty ? html`<div class="empty">${empty}</div>` : ''}</div>`;
}

/** '2026-11-22T10:11:12.345Z' -> '2026-11-22 10:11:12' (every page says its times are UTC). */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

export function timeTag(iso: string): Html {
  return html`<time datetime="${iso}">${shortTime(iso)}</time>`;
}
