/** Escapes text for HTML. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Serializes a value for a `<script>` element: JSON that cannot close the element or open a comment. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** An ISO 8601 UTC timestamp as a person reads it (`2025-05-01 12:34:56`), or "" for none. */
export function when(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 19).replace("T", " ") : "";
}

/** Links the header shows beside the DAG list. */
export interface NavLinks {
  readonly restateUi: string;
  readonly sandboxChat?: string;
  readonly sandboxTable?: string;
}

const STYLE = `
*{box-sizing:border-box}[hidden]{display:none!important}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433;background:#f4f6fa}
header{display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center;padding:12px 24px;background:#017cee;color:#fff}
header a{color:#fff;text-decoration:none;opacity:.92}header a:hover{opacity:1;text-decoration:underline}
header .brand{display:flex;align-items:center;gap:8px;font-weight:700;font-size:18px;margin-right:12px;opacity:1}
header nav{display:flex;flex-wrap:wrap;gap:6px 18px}header .ext{font-size:12px;opacity:.75;margin-left:2px}
main{max-width:1040px;margin:24px auto;padding:0 24px}
h1{font-size:22px;margin:0 0 16px;overflow-wrap:anywhere}h2{font-size:18px;margin:24px 0 12px}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:8px;overflow:hidden;box-shadow:0 1px 3px #0002}
th,td{text-align:left;padding:10px 14px;border-bottom:1px solid #e8ecf2;vertical-align:top}
th{background:#eef2f8;font-weight:600;font-size:13px;color:#4a5568}
td.nowrap{white-space:nowrap}
button{font:inherit;padding:6px 14px;border:0;border-radius:6px;background:#017cee;color:#fff;cursor:pointer}button:hover{background:#0167c6}
button:disabled{background:#8fb9e6;cursor:progress}
.state{display:inline-block;padding:2px 10px;border-radius:12px;font-size:13px;font-weight:600;color:#fff;background:#9aa5b8;vertical-align:middle}
.state.success{background:#2e9d43}.state.failed,.state.upstream_failed{background:#d93f3f}.state.running{background:#42b4e6}
.state.deferred{background:#9b6cd8}.state.queued,.state.scheduled{background:#a0a7b4}.state.skipped{background:#e58ac2}.state.up_for_retry{background:#e8b83a}.state.up_for_reschedule{background:#3fb6ad}
.muted{color:#6b7588}.small{font-size:13px}.card{background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 3px #0002;margin-bottom:18px}
.card.hint{border-left:4px solid #9b6cd8}
label{display:block;font-weight:600;margin-bottom:6px}summary{cursor:pointer;font-weight:600;margin:12px 0 8px}
input{display:block;width:100%;max-width:320px;font:inherit;padding:6px 8px;margin-bottom:12px;border:1px solid #cdd4df;border-radius:6px}
textarea{width:100%;font:13px/1.4 ui-monospace,monospace;padding:8px;border:1px solid #cdd4df;border-radius:6px}
textarea[aria-invalid=true]{border-color:#c22;outline-color:#c22}
.error{color:#a61b1b;background:#fdecec;border-radius:6px;padding:8px 12px;margin-top:8px;overflow-wrap:anywhere}.error:empty{display:none}
code{background:#eef2f8;padding:1px 5px;border-radius:4px;overflow-wrap:anywhere}`;

// An inline mark instead of an emoji: servers and CI images often have no emoji font and draw a box.
const LOGO = `<svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M2 21l21-9L2 3v7l15 2-15 2z"/></svg>`;

const external = (href: string, text: string) =>
  `<a href="${esc(href)}" target="_blank" rel="noopener">${esc(text)}<span class="ext" aria-hidden="true">↗</span></a>`;

/** Wraps a page body in the app's header and styles; without `nav` (the login page), the header has no links. */
export function layout(
  title: string,
  nav: NavLinks | null,
  body: string,
): string {
  const links = !nav
    ? ""
    : [
        `<a href="/">DAGs</a>`,
        nav.sandboxChat ? external(nav.sandboxChat, "Sandbox chat") : "",
        nav.sandboxTable ? external(nav.sandboxTable, "Sandbox table") : "",
        external(nav.restateUi, "Restate UI"),
      ].join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · poekhali</title><style>${STYLE}</style></head>
<body><header><a class="brand" href="/">${LOGO}poekhali</a><nav aria-label="Main">${links}</nav></header><main>${body}</main></body></html>`;
}
