import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { problem, speaksV2 } from "./problem.js";

/** The largest request body the API reads: 1 MiB, far more than any conf. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Routes behind {@link jsonBody} see the parsed body as `c.get("body")`. */
export type JsonBodyEnv = { Variables: { body: unknown } };

const limit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  // The unread rest is discarded by the Node server (up to 64 MB or 500 ms, then it closes the connection).
  onError: (c) =>
    problem(
      c,
      413,
      "Payload too large",
      `the body is over ${MAX_BODY_BYTES} bytes (1 MiB), the most this API reads`,
    ),
});

/**
 * For requests with a body (POST, PUT, PATCH): refuses anything but `application/json` (415) — a browser sends
 * those cross-site without asking, JSON it does not — and bodies over 1 MiB (413; a declared Content-Length is
 * checked before reading, a chunked body is counted while it is read and dropped once past the limit), then parses
 * the JSON (400; under `/api/v2` and `/auth`, FastAPI's 422 `json_invalid`) into `c.get("body")`.
 */
export const jsonBody = () =>
  createMiddleware<JsonBodyEnv>(async (c, next) => {
    if (!["POST", "PUT", "PATCH"].includes(c.req.method)) return next();
    const type = (c.req.header("content-type") ?? "")
      .split(";")[0]
      ?.trim()
      .toLowerCase();
    if (type !== "application/json")
      return problem(
        c,
        415,
        "Unsupported media type",
        `the body must be application/json, got ${type ? type : "no Content-Type"}`,
      );
    let notJson = false;
    const tooLarge = await limit(c, async () => {
      try {
        c.set("body", await c.req.json());
      } catch {
        notJson = true;
        return;
      }
      await next();
    });
    if (tooLarge instanceof Response) return tooLarge;
    if (notJson)
      return speaksV2(c.req.path)
        ? // FastAPI's answer to a body that does not parse, which Airflow's clients know.
          c.json(
            {
              detail: [
                {
                  loc: ["body"],
                  msg: "JSON decode error",
                  type: "json_invalid",
                },
              ],
            },
            422,
          )
        : problem(c, 400, "Bad request", "the body is not JSON");
  });
