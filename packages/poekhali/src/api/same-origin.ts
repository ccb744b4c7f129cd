import { createMiddleware } from "hono/factory";
import { requestHostname } from "./allowed-hosts.js";
import { problem } from "./problem.js";

const SAFE = ["GET", "HEAD", "OPTIONS"];

/**
 * Refuses (403) a state-changing request a browser sent from another site: an `Origin` that is not the app's own
 * (the request's `Host`, or a name in POEKHALI_ALLOWED_HOSTS, as behind a proxy), or `Sec-Fetch-Site: cross-site`.
 * Clients that are not browsers (curl, the CLI, Telegram) send neither and pass.
 */
export function sameOrigin(options: {
  readonly trustedHosts: readonly string[];
}) {
  const trusted = new Set(
    options.trustedHosts
      .filter((h) => h !== "*")
      .map((h) => requestHostname(h) ?? h),
  );
  return createMiddleware(async (c, next) => {
    if (SAFE.includes(c.req.method)) return next();
    const refuse = (why: string) =>
      problem(c, 403, "Forbidden", `cross-site request refused: ${why}`);
    if (c.req.header("sec-fetch-site") === "cross-site")
      return refuse("Sec-Fetch-Site is cross-site");
    const origin = c.req.header("origin");
    if (origin !== undefined) {
      const host = (
        c.req.header("host") ?? new URL(c.req.url).host
      ).toLowerCase();
      let from: URL | null = null;
      try {
        from = new URL(origin);
      } catch {
        // "null" (a sandboxed frame, a file) and garbage are foreign.
      }
      const own =
        from !== null && (from.host === host || trusted.has(from.hostname));
      if (!own)
        return refuse(`Origin ${origin.slice(0, 100)} is not this app's own`);
    }
    await next();
  });
}
