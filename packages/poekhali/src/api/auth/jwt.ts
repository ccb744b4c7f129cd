import { createHmac, timingSafeEqual } from "node:crypto";

/** What a poekhali token says: who (`sub`), issued when and valid until (`iat`, `exp`, seconds since the epoch). */
export interface TokenClaims {
  readonly sub: string;
  readonly iat: number;
  readonly exp: number;
}

/** How long a token lives: 24 hours, Airflow's default `jwt_expiration_time`. */
export const TOKEN_TTL_SECONDS = 24 * 60 * 60;

const HEADER = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

function base64url(text: string | Buffer): string {
  return Buffer.from(text).toString("base64url");
}

function signature(secret: string | Buffer, signed: string): Buffer {
  return createHmac("sha256", secret).update(signed).digest();
}

/**
 * Signs a JWT (HS256) for `subject`, valid for `ttlSeconds` from `now`.
 *
 * @example
 * const token = signToken(secret, "admin");
 */
export function signToken(
  secret: string | Buffer,
  subject: string,
  now = Date.now(),
  ttlSeconds = TOKEN_TTL_SECONDS,
): string {
  const iat = Math.floor(now / 1000);
  const payload = base64url(
    JSON.stringify({ sub: subject, iat, exp: iat + ttlSeconds }),
  );
  const signed = `${HEADER}.${payload}`;
  return `${signed}.${signature(secret, signed).toString("base64url")}`;
}

/** The claims of a token this secret signed (HS256 only) and that has not expired, else null. */
export function verifyToken(
  secret: string | Buffer,
  token: string,
  now = Date.now(),
): TokenClaims | null {
  const [header, payload, sig, ...rest] = token.split(".");
  // Only our own header: no "alg": "none", no other algorithm.
  if (header !== HEADER || !payload || !sig || rest.length) return null;
  const given = Buffer.from(sig, "base64url");
  const expected = signature(secret, `${header}.${payload}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return null;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (
    typeof claims !== "object" ||
    claims === null ||
    !("sub" in claims && typeof claims.sub === "string") ||
    !("iat" in claims && typeof claims.iat === "number") ||
    !("exp" in claims && typeof claims.exp === "number")
  )
    return null;
  return claims.exp > now / 1000
    ? { sub: claims.sub, iat: claims.iat, exp: claims.exp }
    : null;
}
