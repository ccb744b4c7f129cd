import { randomBytes } from "node:crypto";

const ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Makes an Airtable-shaped id: a three-letter prefix (app, tbl, fld, rec, viw, usr) and 14 letters or digits. */
export function makeAirtableId(prefix: string): string {
  let id = prefix;
  for (const byte of randomBytes(14)) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

/** Makes a personal access token shaped like Airtable's: `pat` + 14 chars + `.` + 64 hex digits. */
export function makePersonalAccessToken(): string {
  return `${makeAirtableId("pat")}.${randomBytes(32).toString("hex")}`;
}
