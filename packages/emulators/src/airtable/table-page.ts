import { escapeHtml, scriptJson } from "../http/respond.js";
import type { StoredBase, StoredTable } from "./base-store.js";
import { TABLE_PAGE_SCRIPT } from "./table-page-script.js";

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:13px/1.4 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1d1f25;background:#fff}
.top{display:flex;align-items:center;gap:10px;padding:0 16px;height:48px;background:#166ee1;color:#fff}
.logo{width:26px;height:26px;border-radius:6px;background:rgba(255,255,255,.22);display:flex;align-items:center;justify-content:center;font-weight:700}
.top h1{margin:0;font-size:17px;font-weight:600}
.top .note{margin-left:auto;font-size:12px;opacity:.85}
.tabs{display:flex;gap:2px;padding:6px 12px 0;background:#1260c9}
.tab{padding:6px 14px;border-radius:6px 6px 0 0;background:#fff;color:#1d1f25;font-weight:600}
.bar{display:flex;align-items:center;gap:14px;padding:8px 16px;border-bottom:1px solid #e1e3e8;color:#41454d}
.bar strong{color:#1d1f25}
.wrap{overflow:auto;max-height:calc(100vh - 130px)}
table{border-collapse:separate;border-spacing:0;min-width:100%}
th,td{border-right:1px solid #e1e3e8;border-bottom:1px solid #e1e3e8;padding:0 8px;height:33px;white-space:nowrap;text-align:left;max-width:320px;
 overflow:hidden;text-overflow:ellipsis}
th{position:sticky;top:0;background:#f4f5f7;font-weight:500;color:#1d1f25;z-index:1}
th .icon{display:inline-block;width:16px;margin-right:6px;color:#61656d;font-weight:600;text-align:center}
th.num,td.num{width:52px;min-width:52px;text-align:center;color:#6b6f76;background:#fafbfc}
td.number{text-align:right;font-variant-numeric:tabular-nums}
tr.fresh td{animation:flash 2.2s ease-out}
@keyframes flash{from{background:#fff3b0}to{background:transparent}}
tr:hover td{background:#f7f8fa}
.empty td{color:#8a8f98;font-style:italic}
.foot{padding:6px 16px;color:#6b6f76;font-size:12px}
`;

const ICONS: Record<string, string> = {
  autoNumber: "#",
  number: "#",
  currency: "$",
  percent: "%",
  singleLineText: "A",
  multilineText: "≡",
  email: "@",
  url: "⚲",
  phoneNumber: "☏",
  checkbox: "☑",
  date: "▦",
  dateTime: "◷",
  createdTime: "◷",
  singleSelect: "▾",
};

/** Renders the sandbox table page: an Airtable-like grid of one table that refreshes every second. */
export function tablePage(base: StoredBase, table: StoredTable): string {
  const headers = table.fields
    .map((field) => {
      const label = field.type.replace(/([A-Z])/g, " $1").toLowerCase();
      const icon = `<span class="icon" aria-hidden="true">${escapeHtml(ICONS[field.type] ?? "?")}</span>`;
      return `<th scope="col" title="${escapeHtml(`${field.name} · ${label}`)}">${icon}<span class="name">${escapeHtml(field.name)}</span></th>`;
    })
    .join("");
  const fields = table.fields.map((field) => ({
    name: field.name,
    type: field.type,
  }));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(table.name)} — ${escapeHtml(base.name)} — Airtable sandbox</title>
<style>${STYLE}</style>
</head>
<body>
<div class="top"><div class="logo" aria-hidden="true">▦</div><h1>${escapeHtml(base.name)}</h1><span class="note">emulated · ${escapeHtml(base.id)}</span></div>
<nav class="tabs"><span class="tab">${escapeHtml(table.name)}</span></nav>
<div class="bar"><strong>Grid view</strong><span id="count">0 records</span></div>
<div class="wrap">
<table aria-label="${escapeHtml(table.name)}">
<thead><tr><th class="num" scope="col" aria-label="Row"></th>${headers}</tr></thead>
<tbody id="rows"><tr class="empty"><td class="num"></td><td colspan="${table.fields.length}">No records yet</td></tr></tbody>
</table>
</div>
<div class="foot">Refreshes every second.</div>
<script>const FIELDS = ${scriptJson(fields)};
const RECORDS_URL = ${scriptJson(`/_emulator/bases/${base.id}/tables/${encodeURIComponent(table.id)}/records`)};
${TABLE_PAGE_SCRIPT}</script>
</body>
</html>`;
}
