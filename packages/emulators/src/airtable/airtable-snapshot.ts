import { z } from "zod";
import type { StateFile } from "../state/state-file.js";
import type { AccessTokens, TokenSnapshot } from "./access-tokens.js";
import type { StoredBase } from "./base-store.js";

/** The Airtable emulator's state as its state file holds it: bases with their records, and tokens. */
export interface AirtableSnapshot {
  version: 1;
  bases: StoredBase[];
  tokens: TokenSnapshot[];
}

// The file is the emulator's own output: check its frame, and trust the bases inside as it wrote them.
const snapshotSchema = z.object({
  version: z.literal(1),
  bases: z.array(
    z.custom<StoredBase>(
      (v) =>
        typeof v === "object" &&
        v !== null &&
        typeof (v as { id?: unknown }).id === "string" &&
        Array.isArray((v as { tables?: unknown }).tables),
    ),
  ),
  tokens: z.array(
    z.object({
      token: z.string(),
      scopes: z.array(z.string()),
      bases: z.union([z.literal("all"), z.array(z.string())]),
    }),
  ),
});

/** Describes the bases and tokens for the state file. */
export function snapshotAirtable(
  bases: Map<string, StoredBase>,
  tokens: AccessTokens,
): AirtableSnapshot {
  return { version: 1, bases: [...bases.values()], tokens: tokens.snapshot() };
}

/** Fills empty bases and tokens from the state file, if there is one; returns whether there was. */
export function restoreAirtable(
  file: StateFile,
  bases: Map<string, StoredBase>,
  tokens: AccessTokens,
): boolean {
  const saved = file.load(snapshotSchema);
  if (saved === undefined) return false;
  for (const base of saved.bases) bases.set(base.id, base);
  tokens.restore(saved.tokens);
  return true;
}
