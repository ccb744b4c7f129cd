/** Escapes text for HTML. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Links the header shows beside the DAG list. */
export interface NavLinks {
  readonly restateUi: string;
  readonly sandboxChat?: string;
  readonly sandboxTable?: string;
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433;background:#f4f6fa}
header{display:flex;gap:18px;align-items:center;padding:12px 24px;background:#017cee;color:#fff}
header a{color:#fff;text-decoration:none;opacity:.92}header a:hover{opacity:1;text-decoration:underline}
header .brand{font-weight:700;font-size:18px;margin-right:12px}main{max-width:1040px;margin:24px auto;padding:0 24px}
h1{font-size:22px;margin:0 0 16px}table{width:100%;border-collapse:collapse;background:#fff;border-radius:8px;overflow:hidden;box-shadow:0 1px 3px #0002}
th,td{text-align:left;padding:10px 14px;border-bottom:1px solid #e8ecf2}th{background:#eef2f8;font-weight:600;font-size:13px;color:#4a5568}
button{font:inherit;padding:6px 14px;border:0;border-radius:6px;background:#017cee;color:#fff;cursor:pointer}button:hover{background:#0167c6}
.state{display:inline-block;padding:2px 10px;border-radius:12px;font-size:13px;font-weight:600;color:#fff;background:#9aa5b8}
.state.success{background:#2e9d43}.state.failed,.state.upstream_failed{background:#d93f3f}.state.running{background:#42b4e6}
.state.deferred{background:#9b6cd8}.state.queued,.state.scheduled{background:#a0a7b4}.state.skipped{background:#e58ac2}.state.up_for_retry{background:#e8b83a}
.muted{color:#6b7588}.card{background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 3px #0002;margin-bottom:18px}
textarea{width:100%;font:13px/1.4 ui-monospace,monospace;padding:8px;border:1px solid #cdd4df;border-radius:6px}
.error{color:#c22}code{background:#eef2f8;padding:1px 5px;border-radius:4px}`;

/** Wraps a page body in the app's header and styles. */
export function layout(title: string, nav: NavLinks, body: string): string {
  const links = [
    `<a href="/">DAGs</a>`,
    nav.sandboxChat ? `<a href="${esc(nav.sandboxChat)}" target="_blank">Sandbox chat</a>` : "",
    nav.sandboxTable ? `<a href="${esc(nav.sandboxTable)}" target="_blank">Sandbox table</a>` : "",
    `<a href="${esc(nav.restateUi)}" target="_blank">Restate UI</a>`,
  ].join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · poekhali</title><style>${STYLE}</style></head>
<body><header><span class="brand">🚀 poekhali</span>${links}</header><main>${body}</main></body></html>`;
}
