"""The page shell and its stylesheet, inlined: nothing to fetch, nothing to install.

Kept in Python rather than an ``assets/`` folder so that ``pip install kitprof`` ships
it with the code (package data would need its own packaging rules).
"""

from __future__ import annotations

CSS = """
:root {
  --ink: #1d2330; --muted: #5f6b7a; --line: #e3e7ee; --panel: #ffffff; --bg: #f4f6f9;
  --accent: #1d63ed; --ok: #2f8f3a; --bad: #d93a3a; --warn: #c77700; --odd: #8b5cc4;
  --cached: #5aa1d8; --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, monospace;
}
* { box-sizing: border-box; }
/* Scrollbars never change a width: a plot that resizes redraws, which takes a second
   for a timeline of thousands of bars. */
html { overflow-y: scroll; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
.topbar { display: flex; align-items: center; gap: 24px; padding: 0 24px; height: 52px;
          background: #0f1724; color: #fff; position: sticky; top: 0; z-index: 20; }
.topbar .brand { font-weight: 700; font-size: 16px; letter-spacing: .2px; color: #fff; }
.topbar .brand span { color: #7fb0ff; }
.topbar nav { display: flex; gap: 4px; }
.topbar nav a { color: #c9d4e5; padding: 6px 12px; border-radius: 6px; }
.topbar nav a:hover, .topbar nav a.active { background: #24324a; color: #fff;
                                            text-decoration: none; }
.topbar .sources { margin-left: auto; color: #8fa0b8; font-size: 12px; }
main { padding: 20px 24px 48px; max-width: 1600px; margin: 0 auto; }
h1 { font-size: 20px; margin: 0 0 4px; display: flex; align-items: center; gap: 10px;
     flex-wrap: wrap; }
h2 { font-size: 15px; margin: 0 0 10px; }
.subtitle { color: var(--muted); margin-bottom: 16px; display: flex; gap: 16px;
            flex-wrap: wrap; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
        padding: 16px; margin-bottom: 16px; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.grid2 > .card { margin-bottom: 0; }
.section { margin-bottom: 16px; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
         gap: 12px; margin-bottom: 16px; }
.stat { background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
        padding: 10px 14px; }
.stat .label { color: var(--muted); font-size: 12px; }
.stat .label.meaning { text-decoration: underline dotted; cursor: help; width: fit-content; }
.stat .value { font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; }
.stat .hint { color: var(--muted); font-size: 11.5px; }
.gap { font-size: 15px; margin: 0 0 16px; }
.views { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 13px; margin-bottom: 6px; }
.views label { display: inline-flex; align-items: center; gap: 4px; cursor: pointer; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px;
         font-weight: 600; border: 1px solid transparent; white-space: nowrap; }
.badge.success, .badge.done { background: #e6f4e8; color: var(--ok); border-color: #bfe3c4; }
.badge.failed { background: #fdeaea; color: var(--bad); border-color: #f5c2c2; }
.badge.cancelled { background: #fff3e0; color: var(--warn); border-color: #ffd9a0; }
.badge.incomplete, .badge.unfinished { background: #f3ecfb; color: var(--odd);
                                        border-color: #dccbf2; }
.badge.cached { background: #e8f3fb; color: #2c6f9e; border-color: #c3def2; }
.badge.critical { background: #1b1b1b; color: #fff; }
.banner { border-radius: 8px; padding: 10px 14px; margin-bottom: 16px; }
.banner.warn { background: #fff7e6; border: 1px solid #ffd59a; }
.banner.bad { background: #fdeeee; border: 1px solid #f3c0c0; }
.failure h2 { color: var(--bad); }
.failure pre { max-height: 320px; }
pre { background: #0f1724; color: #dde6f3; padding: 10px 12px; border-radius: 8px;
      overflow: auto; white-space: pre-wrap; word-break: break-all; margin: 8px 0 0; }
pre.diff { background: #f6f8fa; color: var(--ink); white-space: pre; word-break: normal;
           border: 1px solid var(--line); }
pre.diff .add { color: #1a7f37; background: #e6ffec; display: block; }
pre.diff .del { color: #cf222e; background: #ffebe9; display: block; }
pre.diff .hunk { color: #6e40c9; display: block; }
pre.diff .meta { color: var(--muted); display: block; }
details > summary { cursor: pointer; font-weight: 600; margin: 4px 0; }
table.data { border-collapse: collapse; width: 100%; font-size: 13px; }
table.data th { text-align: left; color: var(--muted); font-weight: 600; font-size: 12px;
                border-bottom: 1px solid var(--line); padding: 6px 8px; white-space: nowrap; }
table.data td { border-bottom: 1px solid #eef1f5; padding: 6px 8px; vertical-align: middle; }
table.data tr:hover td { background: #f8fafc; }
table.data .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.data td.name { font-family: var(--mono); font-size: 12px; max-width: 520px;
                     overflow-wrap: anywhere; }
.pos { color: var(--warn); } .neg { color: var(--ok); }  /* slower is orange: red is failure only */
.error-text { color: var(--bad); }
.filters { display: flex; gap: 12px; align-items: end; flex-wrap: wrap; margin-bottom: 16px; }
.filters .field { min-width: 200px; }
.filters .field.wide { min-width: 280px; }
.filters .field.narrow { min-width: 140px; }
.filters .field.picker { min-width: 420px; }
/* Tables scroll inside their card; the page itself never gets wider than the screen. */
.table-scroll { overflow-x: auto; max-width: 100%; }
.card, .stat, .timeline > *, .grid2 > * { min-width: 0; }
table.data th.sortable { cursor: pointer; user-select: none; white-space: nowrap; }
table.data th.sortable::after { content: " ↕"; color: #c0c8d4; font-size: 10px; }
table.data th.sorted-asc::after { content: " ▲"; color: var(--accent); }
table.data th.sorted-desc::after { content: " ▼"; color: var(--accent); }
.compare-why { color: var(--muted); font-size: 12px; align-self: end; padding-bottom: 9px; }
h1 .run { color: var(--muted); font-weight: 500; }
.build-name { font-weight: 600; white-space: nowrap; }
.filters label { display: block; font-size: 12px; color: var(--muted); margin-bottom: 3px; }
.pager { display: flex; gap: 12px; align-items: center; margin-top: 12px; color: var(--muted); }
.button { display: inline-block; padding: 6px 14px; border-radius: 6px; background: var(--accent);
          color: #fff; font-weight: 600; border: 0; }
.button:hover { text-decoration: none; filter: brightness(1.1); }
.button.disabled { background: #c5cedb; pointer-events: none; }
.button.ghost { background: transparent; color: var(--accent); border: 1px solid #c9d7f5; }
.timeline { display: grid; grid-template-columns: minmax(0, 1fr) 380px; gap: 16px;
            align-items: start; }
.timeline .scroll, .scroll { max-height: 78vh; overflow-y: auto; scrollbar-gutter: stable; }
.step-panel { position: sticky; top: 68px; max-height: calc(100vh - 84px); overflow: auto; }
.step-panel dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 8px 0; }
.step-panel dt { color: var(--muted); }
.step-panel dd { margin: 0; overflow-wrap: anywhere; }
.step-panel .step-name { font-family: var(--mono); font-size: 12.5px; font-weight: 600;
                         overflow-wrap: anywhere; }
.hint { color: var(--muted); font-size: 12.5px; }
.empty { text-align: center; color: var(--muted); padding: 40px 16px; }
.empty h2 { color: var(--ink); }
.suggestion { border-left: 4px solid var(--ok); padding: 4px 0 4px 14px; margin: 14px 0; }
.suggestion h3 { font-size: 14px; margin: 0 0 4px; }
.suggestion .saving { color: var(--ok); font-weight: 650; }
.spark { vertical-align: middle; }
ul.compact { margin: 4px 0; padding-left: 18px; }
@media (max-width: 1100px) {
  .timeline, .grid2 { grid-template-columns: 1fr; }
  .step-panel { position: static; max-height: none; }
}
@media (max-width: 600px) {
  main { padding: 12px 10px 32px; }
  .topbar { gap: 10px; padding: 0 10px; }
  .topbar .sources { display: none; }
  .filters .field, .filters .field.wide, .filters .field.narrow, .filters .field.picker {
    min-width: 0; flex: 1 1 100%; }
  .stats { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .card { padding: 10px; }
  .subtitle { gap: 6px 12px; }
  .mono { overflow-wrap: anywhere; }
}
"""

SORT_SCRIPT = """
// Sortable tables: a click on a header of a table.data sorts its rows by that column,
// again the other way round. A cell's data-sort (the number behind "1m05.0s") wins over
// its text; numbers sort as numbers. The rows are moved, never rewritten: the page
// keeps every component (checkboxes, links) as it was.
document.addEventListener("click", function (event) {
  var th = event.target.closest && event.target.closest("table.data th.sortable");
  if (!th) return;
  var table = th.closest("table"), body = table.tBodies[0];
  if (!body) return;
  var column = Array.prototype.indexOf.call(th.parentNode.children, th);
  var descending = !th.classList.contains("sorted-desc");
  Array.prototype.forEach.call(th.parentNode.children, function (other) {
    other.classList.remove("sorted-asc", "sorted-desc");
  });
  th.classList.add(descending ? "sorted-desc" : "sorted-asc");
  var key = function (row) {
    var cell = row.children[column];
    if (!cell) return "";
    var raw = cell.getAttribute("data-sort");
    var text = raw !== null ? raw : cell.textContent.trim();
    var number = parseFloat(text);
    return isNaN(number) || !/^[-+]?[0-9.]/.test(text) ? text.toLowerCase() : number;
  };
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function (a, b) {
    var x = key(a), y = key(b);
    var order = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0)
                                      : (typeof x === "number" ? -1 : 1);
    return descending ? -order : order;
  });
  rows.forEach(function (row) { body.appendChild(row); });
});
"""

INDEX_STRING = (
    """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
        <style>"""
    + CSS
    + """</style>
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
            <script>"""
    + SORT_SCRIPT
    + """</script>
        </footer>
    </body>
</html>"""
)
