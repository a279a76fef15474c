// The frame every admin page shares: document head, the stylesheet (../shared/web/style.ts), the top bar.
import { createHash } from 'node:crypto';
import { html, raw } from '../shared/web/html.ts';
import type { Html, HtmlValue } from '../shared/web/html.ts';
import { STYLESHEET } from '../shared/web/style.ts';

const STYLE = raw(STYLESHEET);

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
