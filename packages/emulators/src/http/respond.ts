import type { ServerResponse } from "node:http";

const beforeAnswer = new WeakMap<ServerResponse, () => void>();

/** Runs `hook` once, just before the response's status line is written (an emulator saves its state there). */
export function beforeAnswering(res: ServerResponse, hook: () => void): void {
  beforeAnswer.set(res, hook);
}

// Once only: should the hook throw, the 500 that follows must still be written.
function answering(res: ServerResponse): void {
  const hook = beforeAnswer.get(res);
  beforeAnswer.delete(res);
  hook?.();
}

/** Writes a JSON answer with the given status. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  answering(res);
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Writes an HTML page that loads nothing from elsewhere. */
export function sendHtml(res: ServerResponse, html: string): void {
  answering(res);
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "cache-control": "no-store",
    "content-security-policy":
      "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
  });
  res.end(html);
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Serialises a value for a `<script>` block without letting it close the tag. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}
