import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { loginPage } from "../../web/login-page.js";
import { jsonBody, type JsonBodyEnv } from "../json-body.js";
import { problem } from "../problem.js";
import { parseOr422 } from "../v2/validation-error.js";
import { TOKEN_TTL_SECONDS } from "./jwt.js";
import { TOKEN_COOKIE } from "./require-token.js";
import type { SimpleAuth } from "./simple-auth.js";

/** Airflow's `LoginBody`: both fields, nothing else. */
export const loginBody = z.strictObject({
  username: z.string(),
  password: z.string(),
});

/**
 * `POST /auth/token` (and `/auth/token/cli`) in the shape of Airflow 3's simple auth manager (JSON
 * `{username, password}` → 201 `{access_token}`, 401 for wrong credentials, 422 for another body), and the web UI's `/login` form and `/logout`, which keep the token in
 * an HttpOnly, SameSite=Strict cookie.
 *
 * @example
 * web.route("/", authRoutes(auth));
 */
export function authRoutes(auth: SimpleAuth): Hono<JsonBodyEnv> {
  const app = new Hono<JsonBodyEnv>();

  // Airflow's simple auth manager: `/auth/token` for clients, `/auth/token/cli` for airflowctl's `auth login`.
  for (const path of ["/auth/token", "/auth/token/cli"])
    app.post(path, jsonBody(), (c) => {
      const body = parseOr422(c, "body", loginBody, c.get("body"));
      if (!body.ok) return body.response;
      const { username, password } = body.data;
      if (auth.required && (!username || !password))
        return problem(
          c,
          400,
          "Bad request",
          "Username and password must be provided",
        );
      const token = auth.login(username, password);
      if (token === null)
        return problem(c, 401, "Unauthorized", "Invalid credentials");
      return c.json({ access_token: token }, 201);
    });
  // Airflow hands a token to a plain GET only when everyone is an admin: here, when no password is set.
  app.get("/auth/token", (c) => {
    const token = auth.required ? null : auth.login(undefined, undefined);
    return token === null
      ? problem(
          c,
          403,
          "Forbidden",
          "This method is only allowed when no POEKHALI_AUTH_PASSWORD is set; POST your username and password instead",
        )
      : c.json({ access_token: token }, 201);
  });
  app.get("/login", (c) =>
    auth.required ? c.html(loginPage()) : c.redirect("/", 303),
  );

  app.post(
    "/login",
    bodyLimit({
      maxSize: 16 * 1024,
      onError: (c) => c.html(loginPage("That was not a login."), 413),
    }),
    async (c) => {
      const type = c.req.header("content-type") ?? "";
      if (!type.startsWith("application/x-www-form-urlencoded"))
        return c.html(loginPage("That was not a login."), 415);
      const form = await c.req.parseBody();
      const username = typeof form.username === "string" ? form.username : "";
      const password = typeof form.password === "string" ? form.password : "";
      const token = auth.login(username, password);
      if (token === null)
        return c.html(loginPage("Wrong username or password."), 401);
      setCookie(c, TOKEN_COOKIE, token, {
        path: "/",
        httpOnly: true,
        sameSite: "Strict",
        secure: new URL(c.req.url).protocol === "https:",
        maxAge: TOKEN_TTL_SECONDS,
      });
      return c.redirect("/", 303);
    },
  );

  app.post("/logout", (c) => {
    deleteCookie(c, TOKEN_COOKIE, { path: "/" });
    return c.redirect(auth.required ? "/login" : "/", 303);
  });

  return app;
}
