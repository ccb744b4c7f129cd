import { RequestBodyError } from "../errors.js";

/** Parses a multipart/form-data body into its text fields; file parts are kept as their text. */
export function parseMultipart(
  body: Buffer,
  contentType: string,
): Record<string, string> {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined)
    throw new RequestBodyError(
      "invalid_form",
      "multipart body without boundary",
    );
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: Record<string, string> = {};
  let start = body.indexOf(delimiter);
  if (start < 0)
    throw new RequestBodyError("invalid_form", "multipart boundary not found");
  for (;;) {
    start += delimiter.length;
    if (body.subarray(start, start + 2).toString() === "--") break;
    const next = body.indexOf(delimiter, start);
    if (next < 0)
      throw new RequestBodyError("invalid_form", "unterminated multipart body");
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString("utf8");
      const name = /name="([^"]*)"/i.exec(headers)?.[1];
      // The part content ends with the CRLF that precedes the next delimiter.
      const content = part.subarray(
        headerEnd + 4,
        Math.max(headerEnd + 4, part.length - 2),
      );
      if (name !== undefined) fields[name] = content.toString("utf8");
    }
    start = next;
  }
  return fields;
}
