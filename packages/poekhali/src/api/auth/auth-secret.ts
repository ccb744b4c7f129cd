import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The generated token secret's file in POEKHALI_HOME: kept, so tokens outlive a restart. */
export const AUTH_SECRET_FILE = "auth-secret";

/** The kept key the web tier signs its calls to the workers with, unless POEKHALI_INTERNAL_KEY is set. */
export const INTERNAL_KEY_FILE = "internal-key";

/** The secret tokens are signed with: POEKHALI_AUTH_SECRET if set, else the one kept in `home` (made, mode 0600, the first time). */
export function authSecret(home: string, configured?: string): string {
  return keptSecret(home, AUTH_SECRET_FILE, configured);
}

/**
 * A secret: the configured one if set, else the one kept in `home/<name>` (made, mode 0600, the first time), so that
 * what was signed before a restart still verifies after it.
 */
export function keptSecret(
  home: string,
  name: string,
  configured?: string,
): string {
  if (configured) return configured;
  const file = join(home, name);
  if (existsSync(file)) {
    const kept = readFileSync(file, "utf8").trim();
    if (kept.length >= 32) {
      // A copy restored with looser permissions is tightened: the file signs every token.
      chmodSync(file, 0o600);
      return kept;
    }
  }
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}
