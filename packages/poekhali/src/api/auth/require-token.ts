import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { problem, speaksV2 } from "../problem.js";
import type { SimpleAuth } from "./simple-auth.js";

/** The cookie the web UI's login sets, named as Airflow names its own (`_token`). */
export const TOKEN_COOKIE = "_token";

/** The token a request presents: `Authorization: Bearer …`, else the login cookie. */
export function presentedToken(c: Context): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(
    c.req.header("authorization") ?? "",
  );
  return bearer?.[1] ?? getCookie(c, TOKEN_COOKIE);
}

/**
 * For API routes: when a password is configured, a request needs a valid token from `/auth/token` (or the login
 * cookie), else 401 with `WWW-Authenticate: Bearer` (under `/api/v2`, as Airflow 3: 401 `Not authenticated` without
 * one, 401 `Token Expired`, 403 `Invalid JWT token`). Without a password, and on the `open` paths, every request passes.
 *
 * @example
 * app.use("/api/*", requireToken(auth));
 */
export function requireToken(auth: SimpleAuth, open: readonly string[] = []) {
  return createMiddleware<{ Variables: { user: string | undefined } }>(
    async (c, next) => {
      if (!auth.required || open.includes(c.req.path)) return next();
      const token = presentedToken(c);
      const claims = auth.verify(token);
      // Who asked, for what Airflow records as a run's `triggering_user_name`.
      if (claims) {
        c.set("user", claims.sub);
        return next();
      }
      c.header(
        "WWW-Authenticate",
        token ? 'Bearer error="invalid_token"' : "Bearer",
      );
      // Airflow 3's answers, which its clients know: 401 for an expired token, 403 for one it never signed.
      if (token && speaksV2(c.req.path))
        return auth.expired(token)
          ? problem(c, 401, "Unauthorized", "Token Expired")
          : problem(c, 403, "Forbidden", "Invalid JWT token");
      return problem(
        c,
        401,
        "Unauthorized",
        token
          ? "the token is invalid or expired; get a new one from POST /auth/token"
          : speaksV2(c.req.path)
            ? // Airflow's own words, which its clients know.
              "Not authenticated"
            : "send Authorization: Bearer <token>; get one from POST /auth/token with your username and password",
      );
    },
  );
}

/** For the web UI's pages: when a password is configured, a browser without a valid login cookie is sent to `/login`. */
export function requireLogin(
  auth: SimpleAuth,
  open: (path: string) => boolean,
) {
  return createMiddleware(async (c, next) => {
    if (
      !auth.required ||
      open(c.req.path) ||
      auth.verify(getCookie(c, TOKEN_COOKIE))
    )
      return next();
    return c.redirect("/login", 303);
  });
}
