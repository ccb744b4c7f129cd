import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { loginPage } from "../../web/login-page.js";
import { jsonBody, type JsonBodyEnv } from "../json-body.js";
import { problem } from "../problem.js";
import { TOKEN_TTL_SECONDS } from "./jwt.js";
import { TOKEN_COOKIE } from "./require-token.js";
import type { SimpleAuth } from "./simple-auth.js";

const credentials = z.object({ username: z.string(), password: z.string() });

/**
 * `POST /auth/token` in the shape of Airflow 3's simple auth manager (JSON `{username, password}` → 201
 * `{access_token}`, 401 for wrong credentials), and the web UI's `/login` form and `/logout`, which keep the token in
 * an HttpOnly, SameSite=Strict cookie.
 *
 * @example
 * web.route("/", authRoutes(auth));
 */
export function authRoutes(auth: SimpleAuth): Hono<JsonBodyEnv> {
  const app = new Hono<JsonBodyEnv>();

  app.post("/auth/token", jsonBody(), (c) => {
    const body = credentials.safeParse(c.get("body"));
    if (!body.success && auth.required)
      return problem(
        c,
        422,
        "Validation error",
        'the body must be {"username": "...", "password": "..."}',
      );
    const token = auth.login(body.data?.username, body.data?.password);
    if (token === null)
      return problem(c, 401, "Unauthorized", "Invalid credentials");
    return c.json({ access_token: token }, 201);
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
