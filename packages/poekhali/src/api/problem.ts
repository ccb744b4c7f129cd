import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Whether a request is answered in Airflow 3's shapes: `/api/v2/...` and the simple auth manager's `/auth/...`. */
export const speaksV2 = (path: string) =>
  path === "/api/v2" ||
  path.startsWith("/api/v2/") ||
  path.startsWith("/auth/");

/**
 * Answers an error as the REST API does everywhere: `{ title, status, detail }` (Airflow 2's problem shape) under
 * `/api/v1`, and Airflow 3's `{ detail }` (HTTPExceptionResponse, content type exactly `application/json`, which
 * airflowctl compares as a string) under `/api/v2` and `/auth`.
 */
export const problem = (
  c: Context,
  status: ContentfulStatusCode,
  title: string,
  detail: string,
) =>
  speaksV2(c.req.path)
    ? c.json({ detail }, status)
    : c.json({ title, status, detail }, status);
