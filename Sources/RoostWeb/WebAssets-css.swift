/// The embedded style sheet and script, served from the binary (nothing from a CDN).
enum WebAssets {
    /// The style sheet: system fonts, AA contrast, a two-column layout that stacks on narrow windows.
    static let css = #"""
:root { --fg:#1b1f24; --muted:#57606a; --bg:#ffffff; --panel:#f6f8fa; --line:#d0d7de; --accent:#0a58ca; --accent-fg:#ffffff;
  --ok:#116329; --bad:#b3261e; --warn:#7a4d00; --focus:#ffbf47; --vip:#6f3bd1; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
a { color:var(--accent); }
:focus-visible { outline:3px solid var(--focus); outline-offset:2px; }
.skip { position:absolute; left:-9999px; } .skip:focus { left:8px; top:8px; background:#fff; padding:6px; z-index:10; }
.visually-hidden { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
.top { display:flex; gap:16px; align-items:center; padding:8px 16px; background:#24292f; color:#fff; flex-wrap:wrap; }
.top a { color:#fff; text-decoration:none; } .top .brand { font-weight:700; font-size:18px; }
.main-nav { display:flex; gap:12px; } .main-nav a[aria-current] { text-decoration:underline; text-underline-offset:4px; }
.me { margin-left:auto; } .live-status { font-size:13px; padding:2px 8px; border-radius:10px; background:#57606a; }
form.search { position:relative; flex:1 1 240px; max-width:420px; }
form.search input { width:100%; padding:5px 8px; border-radius:6px; border:1px solid #57606a; font:inherit; }
.search-panel { position:absolute; top:100%; left:0; right:0; margin-top:4px; background:var(--bg); color:var(--fg);
  border:1px solid var(--line); border-radius:6px; box-shadow:0 8px 24px rgba(0,0,0,.2); z-index:20; max-height:70vh; overflow:auto; }
.top .search-panel a { color:var(--fg); }
.search-hits { list-style:none; margin:0; padding:0; } .search-hits li { border-bottom:1px solid var(--line); }
.search-hits a.hit { display:block; padding:8px 10px; color:var(--fg); text-decoration:none; } .search-hits a.hit:hover, .search-hits a.hit:focus { background:var(--panel); }
.search-hits .key { font-weight:600; } .search-hits .who, .search-hits time, .search-hits .brand { color:var(--muted); font-size:13px; }
.search-hits .snippet { display:block; margin-top:2px; overflow-wrap:anywhere; } .search-hits .kind { font-size:12px; color:var(--muted); text-transform:uppercase; }
.search-hits mark { background:#fff1b8; color:inherit; padding:0 1px; } .search-error { color:var(--bad); padding:8px 10px; margin:0; }
.tag.sentiment-neg { background:#ffebe9; color:var(--bad); } .tag.sentiment-pos { background:#dafbe1; color:var(--ok); }
.alert-banner { display:flex; gap:10px; align-items:flex-start; background:#ffebe9; color:#82071e; border-bottom:2px solid var(--bad); padding:8px 16px; }
.alert-banner > span { font-weight:700; text-transform:uppercase; font-size:13px; padding-top:2px; } .alert-banner ul { margin:0; padding:0; list-style:none; }
.search-empty { padding:8px 10px; margin:0; color:var(--muted); }
.live-status.on { background:#116329; } .live-status.off { background:#b3261e; }
.layout { display:grid; grid-template-columns: 220px minmax(0, 1fr); min-height: calc(100vh - 48px); }
.queues { background:var(--panel); border-right:1px solid var(--line); padding:12px; }
.queues ul { list-style:none; margin:0 0 12px; padding:0; } .queues h3 { font-size:13px; color:var(--muted); margin:12px 0 4px; text-transform:uppercase; }
.queues a { display:flex; justify-content:space-between; gap:8px; padding:6px 8px; border-radius:6px; text-decoration:none; color:var(--fg); }
.queues a[aria-current] { background:var(--accent); color:var(--accent-fg); }
.count { font-variant-numeric:tabular-nums; font-weight:600; }
main { padding:16px 20px; min-width:0; } main.narrow { max-width:640px; margin:40px auto; }
h1 { font-size:22px; margin:0 0 8px; } h2 { font-size:17px; margin:0 0 8px; } h3 { font-size:14px; margin:12px 0 4px; }
.hint, .muted { color:var(--muted); } .hint { font-size:13px; }
kbd { border:1px solid var(--line); border-bottom-width:2px; border-radius:4px; padding:0 4px; font-size:12px; background:#fff; }
.table-wrap { overflow-x:auto; position:relative; } table { border-collapse:collapse; width:100%; } th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:13px; color:var(--muted); font-weight:600; } .num { text-align:right; font-variant-numeric:tabular-nums; }
table.inbox td { white-space:nowrap; } table.inbox tr.selected { background:#ddf4ff; box-shadow: inset 4px 0 0 var(--accent); }
table.inbox tbody tr:hover { background:#f3f6f9; }
.prio { display:inline-block; padding:0 6px; border-radius:4px; font-size:12px; font-weight:600; border:1px solid; }
.prio-urgent { color:#fff; background:var(--bad); border-color:var(--bad); } .prio-high { color:var(--bad); border-color:var(--bad); }
.prio-normal { color:var(--fg); border-color:var(--line); } .prio-low { color:var(--muted); border-color:var(--line); }
.tag { display:inline-block; padding:0 6px; border-radius:10px; background:#eaeef2; color:var(--fg); font-size:12px; }
.tag.vip { background:var(--vip); color:#fff; }
.sla.breach, .breach { color:var(--bad); font-weight:600; } .sla.warn { color:var(--warn); font-weight:600; } .pushed { font-size:.8em; border:1px solid var(--muted); border-radius:4px; padding:0 4px; color:var(--muted); } .ok { color:var(--ok); } .sla.history { color:var(--muted); font-style:italic; }
table.inbox td.latest { white-space:normal; min-width:14em; max-width:30em; overflow-wrap:anywhere; } .age { font-size:12px; white-space:nowrap; }
.inbox-controls { display:flex; gap:8px; align-items:center; flex-wrap:wrap; margin:0 0 8px; }
.pager { display:flex; gap:16px; align-items:center; flex-wrap:wrap; margin:12px 0; }
.holder.mine { color:var(--ok); font-weight:600; }
button { font:inherit; padding:6px 12px; border-radius:6px; border:1px solid #8c959f; background:#f6f8fa; color:var(--fg); cursor:pointer; }
button.primary { background:var(--accent); border-color:var(--accent); color:var(--accent-fg); }
button.warn { background:#fff8c5; border-color:var(--warn); color:var(--warn); }
button.small { padding:2px 8px; font-size:13px; } button.link { border:none; background:none; color:var(--bad); }
button:disabled { opacity:.55; cursor:not-allowed; }
input, select, textarea { font:inherit; padding:6px 8px; border:1px solid #8c959f; border-radius:6px; color:var(--fg); background:#fff; }
textarea { width:100%; resize:vertical; }
label { font-weight:600; font-size:14px; }
.card { border:1px solid var(--line); border-radius:8px; padding:12px; background:#fff; margin-bottom:12px; }
.ticket-grid { display:grid; grid-template-columns: minmax(0, 2fr) minmax(260px, 1fr); gap:16px; }
.thread { list-style:none; margin:0; padding:0; }
.msg { border-radius:8px; padding:8px 10px; margin:0 0 8px; border:1px solid var(--line); max-width:90%; }
.msg.inbound { background:#fff; } .msg.outbound { background:#ddf4ff; margin-left:auto; } .msg.note { background:#fff8c5; border-style:dashed; }
.msg.dm .meta::before { content:"DM · "; font-weight:600; }
.msg .meta { font-size:12px; color:var(--muted); } .msg .text { margin:4px 0 0; white-space:pre-wrap; overflow-wrap:anywhere; }
.conflicts { border:2px solid var(--bad); border-radius:8px; padding:8px 12px; margin:8px 0 12px; background:#ffebe9; }
.conflicts ul { margin:0; padding-left:18px; } .conflicts button { margin-left:8px; }
.presence { list-style:none; padding:0; margin:4px 0 8px; display:flex; gap:8px; }
.presence li { background:#dafbe1; color:var(--ok); border-radius:10px; padding:0 8px; font-size:13px; }
.tags { list-style:none; padding:0; display:flex; gap:6px; flex-wrap:wrap; }
.api-form { margin-top:8px; } .api-form.inline { display:flex; gap:6px; align-items:center; flex-wrap:wrap; }
.composer form { display:flex; flex-direction:column; gap:8px; margin-bottom:12px; }
.composer-row { display:flex; gap:10px; align-items:center; flex-wrap:wrap; }
.count-chars { margin-left:auto; font-variant-numeric:tabular-nums; font-weight:600; } .count-chars.over { color:var(--bad); }
.confirm { margin:8px 0; padding:10px; border:2px solid var(--bad); border-radius:6px; background:var(--panel); } .confirm[hidden] { display:none; }
.reply-to { margin:0 0 6px; }
.preview { margin:0; padding:6px 8px; background:var(--panel); border-radius:6px; white-space:pre-wrap; overflow-wrap:anywhere; min-height:1.5em; }
.error { color:var(--bad); margin:0; min-height:1.2em; font-weight:600; }
.check { font-weight:400; }
.toast { position:fixed; right:16px; bottom:16px; background:#24292f; color:#fff; padding:8px 14px; border-radius:8px; opacity:0; transition:opacity .2s; max-width:360px; }
.toast.show { opacity:1; }
.help { position:fixed; right:16px; top:64px; background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 16px; box-shadow:0 4px 16px rgba(0,0,0,.15); }
.help dl { display:grid; grid-template-columns:auto 1fr; gap:4px 12px; margin:0; } .help dt { font-weight:700; } .help dd { margin:0; }
.kpis { display:flex; flex-wrap:wrap; gap:12px; margin:12px 0; }
.kpi { border:1px solid var(--line); border-radius:8px; padding:8px 12px; min-width:120px; }
.kpi-value { display:block; font-size:22px; font-weight:700; } .kpi-label { color:var(--muted); font-size:13px; }
.charts { display:grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap:12px; }
.chart { width:100%; height:auto; } .chart .bar { fill:var(--accent); } .chart .axis { stroke:var(--muted); } .chart .tick { font-size:11px; fill:var(--muted); }
.part-0 { fill:#0a58ca; } .part-1 { fill:#116329; } .part-2 { fill:#7a4d00; } .part-3 { fill:#6f3bd1; } .part-4 { fill:#57606a; } .part-5 { fill:#b3261e; }
.filters { display:flex; gap:8px; align-items:center; flex-wrap:wrap; }
.crumbs { margin:0 0 8px; display:flex; gap:12px; flex-wrap:wrap; }
@media (max-width: 820px) {
  .layout { grid-template-columns: minmax(0, 1fr); } .queues { border-right:none; border-bottom:1px solid var(--line); }
  .queues ul { display:flex; flex-wrap:wrap; gap:4px; } .ticket-grid { grid-template-columns: minmax(0, 1fr); }
  .charts { grid-template-columns: minmax(0, 1fr); }
  table.inbox th:nth-child(4), table.inbox td:nth-child(4), table.inbox th:nth-child(6), table.inbox td:nth-child(6),
  table.inbox th:nth-child(9), table.inbox td:nth-child(9) { display:none; }
  .me { display:none; } main { padding:12px 10px; } .card { padding:10px; }
  .msg { max-width:100%; } .kpi { min-width:0; flex:1 1 40%; }
}
"""#
}
