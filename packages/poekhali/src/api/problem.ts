import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Answers an error as the REST API does everywhere: `{ title, status, detail }` (Airflow's problem shape). */
export const problem = (
  c: Context,
  status: ContentfulStatusCode,
  title: string,
  detail: string,
) => c.json({ title, status, detail }, status);
