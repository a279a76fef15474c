// The frame of every page of the subscriber's web server: document head with the stylesheet
// inline under the response's nonce (../shared/web/style.ts), the header bar, the main column.
import { html, raw } from '../shared/web/html.ts';
import type { Html, HtmlValue } from '../shared/web/html.ts';
import { STYLESHEET } from '../shared/web/style.ts';

export interface FrameOptions {
  title: string;
  nodeId: string;
  /** Nonce of the inline stylesheet, matching the Content-Security-Policy header. */
  styleNonce: string;
  /** The header's second line: the time, links. */
  sub: HtmlValue;
  body: HtmlValue;
}

export function statusDocument(o: FrameOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>atomsync · ${o.nodeId} ${o.title}</title>
<style nonce="${o.styleNonce}">${raw(STYLESHEET)}</style>
</head>
<body>
<header><div>
<h1>atomsync subscriber <span class="node">${o.nodeId}</span></h1>
<p>${o.sub}</p>
</div></header>
<main>
${o.body}
</main>
</body>
</html>
`;
}
