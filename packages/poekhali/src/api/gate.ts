import { Hono } from "hono";
import { allowedHosts } from "./allowed-hosts.js";
import { authRoutes } from "./auth/auth-routes.js";
import { requireLogin, requireToken } from "./auth/require-token.js";
import type { SimpleAuth } from "./auth/simple-auth.js";
import { sameOrigin } from "./same-origin.js";

/** What the app's front door checks against. */
export interface GateOptions {
  /** POEKHALI_HOST. */
  readonly bindHost: string;
  /** POEKHALI_ALLOWED_HOSTS. */
  readonly allowedHosts: readonly string[];
  readonly auth: SimpleAuth;
  /** Routes a machine calls with a secret of its own (Telegram's webhook): any Host, no login. */
  readonly ownSecretPaths: readonly string[];
}

/** Pages anyone may open: the health check, the login itself, and the API's OpenAPI document where Airflow serves it. */
const OPEN_PAGES = ["/healthz", "/login", "/logout", "/openapi.json"];

/** API routes anyone may call, as in Airflow 3: its version, health and OpenAPI document (shapes only, no data). */
const OPEN_API = [
  "/api/v2/version",
  "/api/v2/monitor/health",
  "/api/v2/openapi.json",
];

/**
 * The app's front door, mounted before every other route: answers only to configured host names (421), refuses
 * cross-site state changes (403), asks for a token on `/api/*` (401) and a login on the pages when a password is
 * set, and serves `/auth/token` and `/login`.
 *
 * @example
 * const web = new Hono();
 * web.route("/", gate({ bindHost: config.host, allowedHosts: config.allowedHosts, auth, ownSecretPaths: [WEBHOOK_PATH] }));
 * web.route("/", restApi(options));
 */
export function gate(options: GateOptions): Hono {
  const app = new Hono();
  app.use(
    "*",
    allowedHosts({
      bindHost: options.bindHost,
      extra: options.allowedHosts,
      // Health probes reach the app by whatever name (a pod's IP); the answer tells nobody anything.
      except: [...options.ownSecretPaths, "/healthz"],
    }),
  );
  app.use("*", sameOrigin({ trustedHosts: options.allowedHosts }));
  app.use("/api/*", requireToken(options.auth, OPEN_API));
  app.route("/", authRoutes(options.auth));
  app.use(
    "*",
    requireLogin(
      options.auth,
      (path) =>
        path.startsWith("/api/") ||
        OPEN_PAGES.includes(path) ||
        options.ownSecretPaths.includes(path),
    ),
  );
  return app;
}
