/** The run page's own rules (the theme, badges and tables come from layout.ts): facts, actions, task panel, logs. */
export const RUN_PAGE_STYLE = `
.run-id{overflow-wrap:anywhere}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:8px 18px;margin:0 0 12px}
.facts div{min-width:0}.facts .wide{grid-column:1/-1}.facts dt{font-size:12px;font-weight:600;color:var(--muted)}.facts dd{margin:0}
pre{margin:0;padding:8px 10px;background:var(--surface-2);border-radius:6px;font:13px/1.45 ui-monospace,monospace;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
pre.log{max-height:420px;overflow:auto}
.log .t{color:var(--muted)}.log .lv{font-weight:600}.log .lv.warn{color:var(--st-up_for_retry)}.log .lv.error{color:var(--error)}
.actions{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:8px}
tr.selected,tr.selected td{background:var(--surface-2)}
#task-panel h3{font-size:15px;margin:18px 0 8px}
details.try{border-top:1px solid var(--border);padding:4px 0}details.try summary{margin:6px 0}
.note{overflow-wrap:anywhere}
dialog{border:0;border-radius:8px;padding:16px 20px;max-width:min(520px,calc(100vw - 24px));background:var(--surface);color:var(--fg);box-shadow:0 4px 24px #0006}
dialog::backdrop{background:#0007}dialog h2{margin-top:0}.buttons{display:flex;gap:8px;justify-content:flex-end;flex-wrap:wrap}
@media (max-width:720px){table.cards td.st,table.cards td.try{display:inline-block;width:auto}#tasks td:empty{display:none}}`;
