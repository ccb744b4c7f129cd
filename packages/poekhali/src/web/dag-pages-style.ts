/** Styles of the DAG list and the DAG page (grid, graph, trigger form); colours come from the theme's tokens. */
export const DAG_PAGES_STYLE = `<style>
.toolbar{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:end;margin-bottom:12px}.toolbar>*{min-width:0;max-width:100%}.toolbar label{margin:0}
.toolbar input[type=search]{margin:0;max-width:280px}
.runs-sq{display:flex;gap:3px;flex-wrap:wrap}.runs-sq a{display:block;width:16px;height:16px;border-radius:3px;background:var(--st)}
.switch{display:inline-flex;gap:6px;align-items:center;font-weight:400;margin:0;cursor:pointer}
.dag-head{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;justify-content:space-between}.dag-head h1{margin:0}
.check{display:inline-flex;gap:6px;align-items:center;font-weight:400;margin:0 14px 6px 0}
fieldset{border:1px solid var(--border);border-radius:8px;padding:8px 12px;margin:0 0 12px;min-width:0}legend{font-weight:600;padding:0 4px}
.filters fieldset{display:flex;flex-wrap:wrap;align-items:center}
table.grid{width:auto;border-collapse:separate;border-spacing:0;box-shadow:none}
table.grid th,table.grid td{padding:3px;border-bottom:0;text-align:center;vertical-align:bottom}
table.grid th.task{text-align:left;padding:3px 12px 3px 8px;white-space:nowrap;font-size:13px;color:var(--fg);background:var(--surface);position:sticky;left:0}
table.grid thead th{background:var(--surface)}
.grid .bar{display:block;width:16px;height:28px;border-radius:3px;background:var(--st);margin:auto}
.grid .cell{display:block;width:18px;height:18px;margin:auto}
.grid-box,.graph-box{background:var(--surface);border-radius:8px;box-shadow:var(--shadow);padding:8px}
.pager{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;margin:10px 0 0}
.graph{max-width:100%;height:auto;display:block}
.graph .node rect{fill:var(--st);stroke:var(--border)}.graph .node text{fill:var(--st-fg);font:600 13px system-ui,sans-serif}
.graph .node .node-state{font-weight:400;font-size:12px}.graph .edge{fill:none;stroke:var(--muted);stroke-width:1.5}.graph .arrow{fill:var(--muted)}
.view-switch{display:flex;gap:0;margin-bottom:12px}.view-switch button{border-radius:0}.view-switch button:first-child{border-radius:6px 0 0 6px}
.view-switch button:last-child{border-radius:0 6px 6px 0}.view-switch [aria-pressed=true]{background:var(--accent);color:var(--accent-fg)}
.field{margin-bottom:14px}.field input:not([type=checkbox]){margin-bottom:4px}
.list-editor{list-style:none;padding:0;margin:0 0 6px}.list-editor li{display:flex;gap:6px;align-items:center;margin-bottom:6px}
.list-editor li input{margin:0!important}
dialog{border:0;border-radius:10px;padding:20px;max-width:min(460px,calc(100vw - 32px));background:var(--surface);color:var(--fg);box-shadow:0 8px 30px #0006}
dialog::backdrop{background:#0008}
.section-grid{display:grid;grid-template-columns:minmax(0,1fr);gap:0 24px}
.trigger-form h2{margin-top:0}.runs-sq .muted{white-space:nowrap}
@media (max-width:720px){.graph{max-width:none}}
@media (min-width:1100px){.section-grid{grid-template-columns:minmax(0,3fr) minmax(300px,2fr)}}
</style>`;
