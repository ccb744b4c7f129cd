import type { IncomingMessage } from "node:http";
import { RequestBodyError } from "../errors.js";
import { parseMultipart } from "./multipart.js";

const MAX_BODY_BYTES = 20 * 1024 * 1024;

/** Reads the whole request body, refusing bodies over 20 MB. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new RequestBodyError("too_large", "request body is too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Parses text as JSON, raising a typed error when it is malformed. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new RequestBodyError("invalid_json", "can't parse JSON body", {
      cause,
    });
  }
}

/** Reads a JSON body; an empty body reads as `undefined`. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString("utf8");
  return text.trim() === "" ? undefined : parseJson(text);
}

/** Reads the query string and a JSON, urlencoded or multipart body into one flat parameter object. */
export async function readParams(
  req: IncomingMessage,
  url: URL,
): Promise<Record<string, unknown>> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const body = await readBody(req);
  if (body.length === 0) return params;
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  if (type.startsWith("application/x-www-form-urlencoded")) {
    return {
      ...params,
      ...Object.fromEntries(new URLSearchParams(body.toString("utf8"))),
    };
  }
  if (type.startsWith("multipart/form-data")) {
    return {
      ...params,
      ...parseMultipart(body, req.headers["content-type"] ?? ""),
    };
  }
  const json = parseJson(body.toString("utf8"));
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new RequestBodyError("invalid_json", "JSON body must be an object");
  }
  return { ...params, ...(json as Record<string, unknown>) };
}
