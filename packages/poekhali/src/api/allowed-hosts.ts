import { createMiddleware } from "hono/factory";
import { problem } from "./problem.js";

/** What {@link allowedHosts} lets in. */
export interface AllowedHostsOptions {
  /** POEKHALI_HOST: answered to unless it is a wildcard address (0.0.0.0, ::). */
  readonly bindHost: string;
  /** POEKHALI_ALLOWED_HOSTS: more host names; `*` lets any in. */
  readonly extra: readonly string[];
  /** Paths that answer whatever the Host (the Telegram webhook, which its secret guards and a public name reaches). */
  readonly except?: readonly string[];
}

/** The names a loopback-bound app is reached by. */
const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];

/** The host name (no port) a request was sent to, lower-cased; IPv6 in brackets. Null when the Host is malformed. */
export function requestHostname(host: string): string | null {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return null;
  }
}

/**
 * Answers only requests whose `Host` is a name the app is configured for: the loopback names, POEKHALI_HOST and
 * POEKHALI_ALLOWED_HOSTS. Any other gets 421 naming the setting: a page on a foreign name resolved to this machine
 * (DNS rebinding) must not reach the API.
 */
export function allowedHosts(options: AllowedHostsOptions) {
  const bind = requestHostname(options.bindHost);
  const names = new Set([
    ...LOOPBACK,
    ...(bind && bind !== "0.0.0.0" && bind !== "[::]" ? [bind] : []),
    ...options.extra.map((h) => requestHostname(h) ?? h),
  ]);
  const any = options.extra.includes("*");
  return createMiddleware(async (c, next) => {
    if (any || options.except?.includes(c.req.path)) return next();
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    const name = requestHostname(host);
    if (name === null || !names.has(name))
      return problem(
        c,
        421,
        "Misdirected request",
        `this app does not answer to the host "${host.slice(0, 100)}"; add it to POEKHALI_ALLOWED_HOSTS`,
      );
    await next();
  });
}
