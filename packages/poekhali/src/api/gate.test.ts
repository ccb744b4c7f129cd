import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { signToken } from "./auth/jwt.js";
import { SimpleAuth } from "./auth/simple-auth.js";
import { gate } from "./gate.js";
import { jsonBody, type JsonBodyEnv } from "./json-body.js";

const SECRET = "a-test-secret-of-at-least-32-characters";
const WEBHOOK = "/telegram/webhook";

/** The gate in front of a trigger-like API route, a page and a webhook, as the app mounts it. */
function app(
  options: {
    password?: string;
    allowedHosts?: string[];
    bindHost?: string;
  } = {},
) {
  const web = new Hono<JsonBodyEnv>();
  web.route(
    "/",
    gate({
      bindHost: options.bindHost ?? "127.0.0.1",
      allowedHosts: options.allowedHosts ?? [],
      auth: new SimpleAuth({
        username: "admin",
        password: options.password,
        secret: SECRET,
      }),
      ownSecretPaths: [WEBHOOK],
    }),
  );
  const triggered: unknown[] = [];
  web.use("/api/*", jsonBody());
  web.get("/api/v1/dags", (c) => c.json({ dags: [] }));
  web.post("/api/v1/dags/d/dagRuns", (c) => {
    triggered.push(c.get("body"));
    return c.json({ dag_run_id: "r" });
  });
  web.get("/", (c) => c.html("<h1>DAGs</h1>"));
  web.post(WEBHOOK, (c) => c.json({ ok: true }));
  return { web, triggered };
}

const TRIGGER = "http://127.0.0.1:8000/api/v1/dags/d/dagRuns";
const json = (headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify({ conf: { text: "hi" } }),
});

describe("the gate's doors", () => {
  it("takes a same-origin JSON trigger, as the web UI sends it", async () => {
    const { web, triggered } = app();
    const res = await web.request(
      TRIGGER,
      json({
        origin: "http://127.0.0.1:8000",
        "sec-fetch-site": "same-origin",
      }),
    );
    expect(res.status).toBe(200);
    expect(triggered).toEqual([{ conf: { text: "hi" } }]);
  });

  it("refuses text/plain and form bodies with 415, whatever they hold", async () => {
    const { web, triggered } = app();
    const body = JSON.stringify({ conf: { text: "pwned" } });
    for (const type of [
      "text/plain;charset=UTF-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const res = await web.request(TRIGGER, {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
      expect(res.status).toBe(415);
      expect(((await res.json()) as { detail: string }).detail).toContain(
        "application/json",
      );
    }
    expect(triggered).toEqual([]);
  });

  it("refuses a cross-site state change with 403: a foreign Origin or Sec-Fetch-Site cross-site", async () => {
    const { web, triggered } = app();
    for (const headers of [
      { origin: "https://evil.example" } as Record<string, string>,
      { origin: "http://127.0.0.1:9999" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
    ]) {
      const res = await web.request(TRIGGER, json(headers));
      expect(res.status).toBe(403);
      expect(((await res.json()) as { detail: string }).detail).toMatch(
        /cross-site request refused/,
      );
    }
    expect(triggered).toEqual([]);
    // Reading is no state change; a browser keeps a foreign page from seeing the answer anyway.
    expect(
      (
        await web.request("http://127.0.0.1:8000/api/v1/dags", {
          headers: { origin: "https://evil.example" },
        })
      ).status,
    ).toBe(200);
  });

  it("answers only to configured host names (421 naming POEKHALI_ALLOWED_HOSTS), except on the webhook", async () => {
    const { web } = app({ allowedHosts: ["poekhali.example.com"] });
    const as = (host: string, path = "/api/v1/dags") =>
      web.request(`http://${host}${path}`, { headers: { host } });
    const refused = await as("rebound.evil.example:8000");
    expect(refused.status).toBe(421);
    expect(((await refused.json()) as { detail: string }).detail).toContain(
      "POEKHALI_ALLOWED_HOSTS",
    );
    expect((await as("rebound.evil.example:8000", "/")).status).toBe(421);
    for (const host of [
      "127.0.0.1:8000",
      "localhost:8000",
      "[::1]:8000",
      "poekhali.example.com",
    ])
      expect((await as(host)).status).toBe(200);
    const hook = await web.request(`http://public.example${WEBHOOK}`, {
      method: "POST",
      headers: { host: "public.example", "content-type": "application/json" },
      body: "{}",
    });
    expect(hook.status).toBe(200);
  });

  it("answers to the bind address, and to any host with POEKHALI_ALLOWED_HOSTS=*", async () => {
    const bound = app({ bindHost: "192.168.1.5", password: "pw" }).web;
    const anyHost = app({ allowedHosts: ["*"] }).web;
    const at = (web: Hono<JsonBodyEnv>, host: string) =>
      web.request(`http://${host}/healthz-missing`, { headers: { host } });
    // Past the host check, the login asks for the password.
    expect((await at(bound, "192.168.1.5:8000")).status).toBe(303);
    expect((await at(bound, "10.0.0.1:8000")).status).toBe(421);
    expect((await at(anyHost, "anything.example")).status).toBe(404);
  });
});

describe("the gate's credentials", () => {
  const token = async (web: Hono<JsonBodyEnv>, body: unknown) =>
    web.request("http://127.0.0.1/auth/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("asks for a bearer token on /api when a password is set: 401 without, 201 token from /auth/token, 200 with", async () => {
    const { web } = app({ password: "correct horse" });
    const list = (authorization?: string) =>
      web.request("http://127.0.0.1/api/v1/dags", {
        headers: authorization ? { authorization } : {},
      });
    const without = await list();
    expect(without.status).toBe(401);
    expect(without.headers.get("www-authenticate")).toBe("Bearer");

    expect(
      (await token(web, { username: "admin", password: "wrong" })).status,
    ).toBe(401);
    expect(
      (await token(web, { username: "root", password: "correct horse" }))
        .status,
    ).toBe(401);
    expect((await token(web, { username: "admin" })).status).toBe(422);
    const issued = await token(web, {
      username: "admin",
      password: "correct horse",
    });
    expect(issued.status).toBe(201);
    const { access_token } = (await issued.json()) as { access_token: string };
    expect(access_token.split(".")).toHaveLength(3);
    expect((await list(`Bearer ${access_token}`)).status).toBe(200);

    const forged = signToken("another-secret-of-at-least-32-chars!!", "admin");
    const someoneElse = signToken(SECRET, "former-admin");
    const expired = signToken(SECRET, "admin", Date.now() - 25 * 3600_000);
    for (const bad of [forged, expired, someoneElse, `${access_token}x`]) {
      const res = await list(`Bearer ${bad}`);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe(
        'Bearer error="invalid_token"',
      );
    }
  });

  it("sends a browser to /login and lets it in with an HttpOnly, SameSite=Strict cookie", async () => {
    const { web, triggered } = app({ password: "pw" });
    const page = await web.request("http://127.0.0.1/");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/login");
    expect((await web.request("http://127.0.0.1/login")).status).toBe(200);

    const login = (password: string) =>
      web.request("http://127.0.0.1/login", {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: "http://127.0.0.1",
        },
        body: new URLSearchParams({ username: "admin", password }).toString(),
      });
    expect((await login("nope")).status).toBe(401);
    const ok = await login("pw");
    expect(ok.status).toBe(303);
    const cookie = ok.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^_token=[\w-]+\.[\w-]+\.[\w-]+;/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    const sent = { cookie: cookie.split(";")[0] ?? "" };
    expect(
      (await web.request("http://127.0.0.1/", { headers: sent })).status,
    ).toBe(200);
    const res = await web.request(
      TRIGGER,
      json({ ...sent, origin: "http://127.0.0.1:8000" }),
    );
    expect(res.status).toBe(200);
    expect(triggered).toHaveLength(1);
  });

  it("without a password lets every request in and still hands out a token", async () => {
    const { web, triggered } = app();
    expect((await web.request("http://127.0.0.1/")).status).toBe(200);
    expect((await web.request("http://127.0.0.1/api/v1/dags")).status).toBe(
      200,
    );
    expect((await web.request(TRIGGER, json())).status).toBe(200);
    expect(triggered).toHaveLength(1);
    const issued = await token(web, {
      username: "anyone",
      password: "anything",
    });
    expect(issued.status).toBe(201);
    expect(await issued.json()).toEqual({ access_token: expect.any(String) });
    expect(
      (await web.request("http://127.0.0.1/login")).headers.get("location"),
    ).toBe("/");
  });
});
