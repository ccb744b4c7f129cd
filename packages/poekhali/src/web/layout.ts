import { STYLE, stateKey } from "./theme.js";

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

/** A state badge in Airflow's colours; a missing state reads "none". */
export function stateBadge(
  state: string | null | undefined,
  attrs = "",
): string {
  const shown = state ?? "none";
  return `<span class="state s-${stateKey(state)}"${attrs ? ` ${attrs}` : ""}>${esc(shown)}</span>`;
}

/** The id of the page's polite live region, which `announce(text)` fills. */
export const LIVE_REGION_ID = "live";

/**
 * Defines `announce(text)` for client scripts: says `text` through the page's `aria-live` region, so a screen reader
 * hears a state change without the focus moving. Repeating a text re-announces it.
 */
export const ANNOUNCE_SCRIPT = String.raw`
function announce(text) {
  const region = document.getElementById('${LIVE_REGION_ID}');
  if (!region) return;
  // Emptying first makes a repeated text a change the screen reader speaks again.
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 50);
}`;

/** Links the header shows beside the DAG list. */
export interface NavLinks {
  readonly restateUi: string;
  readonly sandboxChat?: string;
  readonly sandboxTable?: string;
}

// An inline mark instead of an emoji: servers and CI images often have no emoji font and draw a box.
const LOGO = `<svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M2 21l21-9L2 3v7l15 2-15 2z"/></svg>`;

const external = (href: string, text: string) =>
  `<a href="${esc(href)}" target="_blank" rel="noopener">${esc(text)}<span class="ext" aria-hidden="true">↗</span></a>`;

/** Wraps a page body in the app's header, theme, skip link and live region (see {@link ANNOUNCE_SCRIPT}); without `nav` (the login page), the header has no links. */
export function layout(
  title: string,
  nav: NavLinks | null,
  body: string,
): string {
  const links = !nav
    ? ""
    : [
        `<a href="/">DAGs</a>`,
        `<a href="/required-actions">Required actions</a>`,
        nav.sandboxChat ? external(nav.sandboxChat, "Sandbox chat") : "",
        nav.sandboxTable ? external(nav.sandboxTable, "Sandbox table") : "",
        external(nav.restateUi, "Restate UI"),
      ].join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · poekhali</title><style>${STYLE}</style><script>${ANNOUNCE_SCRIPT}</script></head>
<body><a class="skip" href="#main">Skip to content</a><header><a class="brand" href="/">${LOGO}poekhali</a><nav aria-label="Main">${links}</nav></header>
<main id="main" tabindex="-1">${body}</main><div id="${LIVE_REGION_ID}" class="sr-only" role="status" aria-live="polite"></div></body></html>`;
}
