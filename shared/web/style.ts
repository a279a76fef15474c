// The one stylesheet of both admin UIs, the publisher's pages and the subscriber's status page.
// Inline, with no scripts and no external assets: the pages must work on a clinic's offline
// network, and on a phone (tables scroll sideways, or stack on the status page).
export const STYLESHEET = `
:root{--fg:#1d2430;--muted:#5d6878;--bg:#f6f7f9;--card:#fff;--line:#e2e6eb;--accent:#1f5fbf;--accent-bg:#e8f0fc;
--key:#6b3fa0;--ok:#17643a;--ok-bg:#e3f4ea;--warn:#8a5300;--warn-bg:#fdf1dc;--bad:#a1242d;--bad-bg:#fbe6e7;--idle-bg:#eceef1;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
@media (prefers-color-scheme:dark){:root{--fg:#e4e8ee;--muted:#9aa5b4;--bg:#14181e;--card:#1c222a;--line:#2d3540;--accent:#8db7ff;--accent-bg:#1f2d44;
--key:#c7a6ff;--ok:#7fd6a1;--ok-bg:#183325;--warn:#f0c36b;--warn-bg:#3a2c12;--bad:#ff9aa1;--bad-bg:#3d1c1f;--idle-bg:#2a2f36}}
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
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;background:var(--card);border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.93rem}
th,td{padding:.5rem .8rem;text-align:left;white-space:nowrap;border-bottom:1px solid var(--line)}
th{font-size:.78rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;background:var(--card);position:sticky;top:0}
tbody tr:last-child td{border-bottom:0}
tbody tr:nth-child(even){background:color-mix(in srgb,var(--bg) 55%,var(--card))}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
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
/* the subscriber's status page */
header{background:var(--card);border-bottom:1px solid var(--line);padding:14px 0}
header>div{max-width:76rem;margin:0 auto;padding:0 1.25rem}
header h1{margin:0;font-size:18px;font-weight:600}
header h1 .node{color:var(--accent)}
header p{margin:4px 0 0;color:var(--muted);font-size:13px}
h2.bar{display:flex;align-items:center;gap:10px;flex-wrap:wrap}
h2 .count{font-weight:400;color:var(--muted)}
.flash{background:var(--ok-bg);color:var(--ok);border:1px solid currentColor;border-radius:8px;padding:10px 14px;margin:0 0 12px}
.flash.none{background:var(--idle-bg);color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}
.cards .card{padding:12px 14px}
.cards .label{color:var(--muted);font-size:13px}
.cards .value{font-size:26px;font-weight:600;font-variant-numeric:tabular-nums}
.cards .bad .value{color:var(--bad)}
.cards .sub{color:var(--muted);font-size:12px;margin:0}
table.stack td{vertical-align:top}table.stack td:not(.nowrap){white-space:normal}
p.empty{background:var(--card);border:1px dashed var(--line);border-radius:8px;padding:18px;text-align:left}
.small{font-size:12.5px;color:var(--muted)}
.nowrap{white-space:nowrap}
.err{color:var(--bad);min-width:220px;max-width:420px;overflow-wrap:anywhere;white-space:normal}
.pill{display:inline-block;padding:2px 9px;border-radius:999px;font-size:12.5px;font-weight:600;white-space:nowrap}
.pill.ok{background:var(--ok-bg);color:var(--ok)}.pill.warn{background:var(--warn-bg);color:var(--warn)}
.pill.bad{background:var(--bad-bg);color:var(--bad)}.pill.idle{background:var(--idle-bg);color:var(--muted)}
form{margin:0}
button{font:inherit;font-weight:600;min-height:44px;min-width:44px;padding:8px 16px;border-radius:8px;cursor:pointer;
border:1px solid var(--accent);background:var(--card);color:var(--accent)}
button.primary{background:var(--accent);color:var(--card)}
button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.queue{display:flex;flex-wrap:wrap;gap:8px}
.queue span{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:6px 12px;font-variant-numeric:tabular-nums}
/* charts: inline SVG drawn on the server (subscriber/sparkline.ts); stretched to their box, lines keep their width */
.trends{display:grid;gap:10px}
.trends .card{padding:12px 14px;min-width:0}
.trends h3{margin:0 0 8px;font-size:14px;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px 18px}
figure.trend{margin:0;min-width:0}
figure.trend figcaption{display:flex;justify-content:space-between;gap:8px;font-size:12.5px;color:var(--muted)}
figure.trend strong{color:var(--fg);font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
svg.spark{display:block;width:100%;height:48px;overflow:visible}
.spark .base{stroke:var(--line);stroke-width:1;vector-effect:non-scaling-stroke}
.spark .area{fill:var(--accent-bg)}
.spark .line{fill:none;stroke:var(--accent);stroke-width:1.5;stroke-linejoin:round;vector-effect:non-scaling-stroke}
.spark .dot{fill:none;stroke:var(--accent);stroke-width:5;stroke-linecap:round;vector-effect:non-scaling-stroke}
figure.trend .axis{display:flex;justify-content:space-between;gap:8px;font-size:11px;color:var(--muted)}
/* a node's place in the tree: inline SVG drawn on the server (shared/web/tree-svg.ts) */
figure.tree{margin:0 0 1rem;padding:10px 12px}
figure.tree figcaption{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:6px}
svg.tree-svg{display:block;width:100%;max-width:960px;height:auto;margin:0 auto}
.tree-svg text{fill:var(--fg);font-size:12px}
.tree-svg .self rect{fill:var(--accent-bg);stroke:var(--accent);stroke-width:1.5}
.tree-svg .self-name{font-size:16px;font-weight:700;fill:var(--accent)}
.tree-svg .self-sub,.tree-svg .none{fill:var(--muted)}
.tree-svg .peer{fill:var(--card);stroke-width:2}
.tree-svg .peer-name{font-weight:600;font-size:13px}
.tree-svg .peer-lag{font-size:11px;fill:var(--muted)}
.tree-svg .arrow{stroke-width:2.5}
.tree-svg .label{font-size:11px;paint-order:stroke;stroke:var(--card);stroke-width:4px;stroke-linejoin:round}
.tree-svg .t-ok .peer,.tree-svg .t-ok .arrow{stroke:var(--ok)}.tree-svg .head-ok path{fill:var(--ok)}
.tree-svg .t-behind .peer,.tree-svg .t-behind .arrow{stroke:var(--warn)}.tree-svg .head-behind path{fill:var(--warn)}
.tree-svg .t-failing .peer,.tree-svg .t-failing .arrow{stroke:var(--bad)}.tree-svg .head-failing path{fill:var(--bad)}
.tree-svg .t-failing .peer-lag{fill:var(--bad)}
.tree-svg .t-never .peer,.tree-svg .t-never .arrow{stroke:var(--muted);stroke-dasharray:5 4}.tree-svg .head-never path{fill:var(--muted)}
/* conflicts: two versions side by side (subscriber/conflicts-pages.ts) */
table.versions td{white-space:normal;overflow-wrap:anywhere;vertical-align:top;font-family:var(--mono);font-size:12.5px}
table.versions td.field{font-weight:600;white-space:nowrap}
table.versions tr.differs td{background:var(--warn-bg)}
table.versions tr.differs td.field::before{content:"≠ ";color:var(--warn)}
table.versions th.won{color:var(--ok)}
.choices{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
h3{font-size:15px;margin:1.2rem 0 .5rem}
details.agree{margin:1rem 0}details.agree summary{cursor:pointer;color:var(--accent);margin-bottom:.5rem}
@media (max-width:560px){main,footer{padding-left:.75rem;padding-right:.75rem}main{padding-top:1rem}.top{padding:.6rem .75rem}h1{font-size:1.25rem}th,td{padding:.45rem .6rem}pre{font-size:12px;padding:.75rem}}
@media (max-width:600px){
header>div{padding:0 .75rem}.cards .value{font-size:22px}
table.stack thead{display:none}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack tr{border-bottom:1px solid var(--line);padding:8px 0}
table.stack tr:last-child{border-bottom:0}
table.stack td{border:0;padding:4px 14px 4px 112px;position:relative;text-align:left;white-space:normal}
table.stack td::before{content:attr(data-label);position:absolute;left:14px;top:6px;width:90px;font-size:11.5px;font-weight:600;
color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
table.stack td.act{padding-left:14px;padding-top:8px}
table.stack td.act button{width:100%}
.err{min-width:0;max-width:none}
table.stack .mono{white-space:normal;overflow-wrap:anywhere}
}
`;
