/**
 * Airflow's state colours (Airflow 3's hues: success green, failed red, running lime, skipped hotpink, …), darkened
 * for white text in the light theme and lightened for dark text in the dark theme, so every badge meets WCAG AA
 * (4.5:1) in both. Unknown states (and "none") take `none`.
 */
export const STATE_COLOURS = {
  success: { light: "#1a7f37", dark: "#5fd47f" },
  failed: { light: "#c62828", dark: "#ff8a80" },
  upstream_failed: { light: "#b04a00", dark: "#ffab5e" },
  running: { light: "#3f6e0a", dark: "#b5e550" },
  queued: { light: "#5f6672", dark: "#b8bec9" },
  scheduled: { light: "#7c5e33", dark: "#dcc09a" },
  skipped: { light: "#c2185b", dark: "#ff8fc4" },
  up_for_retry: { light: "#7f6400", dark: "#f2d15c" },
  up_for_reschedule: { light: "#0f7068", dark: "#5fd8cc" },
  deferred: { light: "#6e45c4", dark: "#b9a0ff" },
  awaiting_input: { light: "#9a2f92", dark: "#f09be6" },
  none: { light: "#5f6672", dark: "#b8bec9" },
} as const;

/** A state's colour key: the state itself when it has a colour, else `none`. */
export function stateKey(state: string | null | undefined): string {
  return state && state in STATE_COLOURS ? state : "none";
}

const stateVars = (mode: "light" | "dark") =>
  Object.entries(STATE_COLOURS)
    .map(([state, c]) => `--st-${state}:${c[mode]};`)
    .join("");

// Each state's class sets --st, so a badge, a grid cell, a run square and a graph node all read one variable.
const stateRules = Object.keys(STATE_COLOURS)
  .map((state) => `.s-${state},.state.${state}{--st:var(--st-${state})}`)
  .join("");

/**
 * The app's whole stylesheet: theme tokens (light, and dark under `prefers-color-scheme: dark`), a visible focus
 * ring, state badges and squares, forms, and responsive tables (`.scroll` boxes and `table.cards`) so no page
 * scrolls sideways at 390 px or at 200 % zoom.
 */
export const STYLE = `
:root{color-scheme:light dark;--bg:#f4f6fa;--surface:#fff;--surface-2:#eef2f8;--fg:#1d2433;--muted:#566074;--border:#d5dbe5;
--accent:#0b5cad;--accent-hover:#094a8c;--accent-fg:#fff;--link:#0b5cad;--focus:#c2410c;--header:#0b5cad;--header-fg:#fff;
--error:#a61b1b;--error-bg:#fdecec;--ok:#1a7f37;--st-fg:#fff;--shadow:0 1px 3px #0002;${stateVars("light")}}
@media (prefers-color-scheme:dark){:root{--bg:#14181f;--surface:#1c222c;--surface-2:#262d3a;--fg:#e6e9ef;--muted:#a3acbb;
--border:#39424f;--accent:#7fb8ff;--accent-hover:#a8cfff;--accent-fg:#0c1420;--link:#7fb8ff;--focus:#ffb35c;--header:#10233d;
--header-fg:#e6e9ef;--error:#ffb4ab;--error-bg:#3a1b1b;--ok:#5fd47f;--st-fg:#14181f;--shadow:0 1px 3px #0008;${stateVars("dark")}}}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px;border-radius:3px}main:focus-visible{outline:none}
.skip{position:absolute;left:8px;top:-48px;padding:8px 12px;background:var(--surface);color:var(--fg);z-index:10}.skip:focus{top:8px}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
header{display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center;padding:12px 24px;background:var(--header);color:var(--header-fg)}
header a{color:var(--header-fg);text-decoration:none}header a:hover{text-decoration:underline}
header :focus-visible{outline-color:var(--header-fg)}
header .brand{display:flex;align-items:center;gap:8px;font-weight:700;font-size:18px;margin-right:12px}
header nav{display:flex;flex-wrap:wrap;gap:6px 18px}header .ext{font-size:12px;margin-left:2px}
main{max-width:1180px;margin:24px auto;padding:0 24px}
h1{font-size:22px;margin:0 0 16px;overflow-wrap:anywhere}h2{font-size:18px;margin:24px 0 12px}
table{width:100%;border-collapse:collapse;background:var(--surface);border-radius:8px;box-shadow:var(--shadow)}
th,td{text-align:left;padding:10px 14px;border-bottom:1px solid var(--border);vertical-align:top}
th{background:var(--surface-2);font-weight:600;font-size:13px;color:var(--muted);white-space:nowrap}
td.nowrap{white-space:nowrap}
.scroll{overflow-x:auto;max-width:100%;border-radius:8px}
button,.button{font:inherit;display:inline-block;padding:6px 14px;border:1px solid var(--accent);border-radius:6px;background:var(--accent);
color:var(--accent-fg);cursor:pointer;text-decoration:none;min-height:32px}
button:hover,.button:hover{background:var(--accent-hover)}
button:disabled{opacity:.6;cursor:progress}
button.secondary,.button.secondary{background:transparent;color:var(--link)}
button.secondary:hover,.button.secondary:hover{background:var(--surface-2)}
.state{--st:var(--st-none);display:inline-block;padding:2px 10px;border-radius:12px;font-size:13px;font-weight:600;color:var(--st-fg);
background:var(--st);vertical-align:middle;white-space:nowrap}
.sq{--st:var(--st-none);display:inline-block;width:14px;height:14px;border-radius:3px;background:var(--st);vertical-align:middle}
${stateRules}
.muted{color:var(--muted)}.small{font-size:13px}
.card{background:var(--surface);border-radius:8px;padding:16px;box-shadow:var(--shadow);margin-bottom:18px}
.card.hint{border-left:4px solid var(--st-deferred)}
label{display:block;font-weight:600;margin-bottom:6px}summary{cursor:pointer;font-weight:600;margin:12px 0 8px}
input,select,textarea{font:inherit;color:var(--fg);background:var(--surface);border:1px solid var(--border);border-radius:6px}
input:not([type=checkbox]):not([type=radio]){display:block;width:100%;max-width:320px;padding:6px 8px;margin-bottom:12px}
select{padding:6px 8px;max-width:100%}
input[type=checkbox]{width:18px;height:18px;accent-color:var(--accent);vertical-align:middle}
textarea{width:100%;font:13px/1.4 ui-monospace,monospace;padding:8px}
[aria-invalid=true]{border-color:var(--error)!important;outline-color:var(--error)}
.error{color:var(--error);background:var(--error-bg);border-radius:6px;padding:8px 12px;margin-top:8px;overflow-wrap:anywhere}.error:empty{display:none}
code{background:var(--surface-2);padding:1px 5px;border-radius:4px;overflow-wrap:anywhere}
.tag{display:inline-block;background:var(--surface-2);border-radius:10px;padding:1px 8px;font-size:13px;margin:0 4px 4px 0;white-space:nowrap}
@media (max-width:720px){
header{padding:10px 14px}main{padding:0 12px;margin:16px auto}
table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
table.cards thead,table.cards tr.head{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.cards tr{border-bottom:1px solid var(--border);padding:8px 0}table.cards td{border:0;padding:4px 14px}
table.cards td[data-label]::before{content:attr(data-label);display:block;font-size:12px;font-weight:600;color:var(--muted)}}`;
