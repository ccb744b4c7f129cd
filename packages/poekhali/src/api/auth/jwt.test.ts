import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TOKEN_TTL_SECONDS, signToken, verifyToken } from "./jwt.js";

const SECRET = "a-test-secret-of-at-least-32-characters";
const b64 = (value: unknown) =>
  Buffer.from(JSON.stringify(value)).toString("base64url");

describe("HS256 tokens", () => {
  it("verifies its own token and reads who and until when", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    const claims = verifyToken(SECRET, signToken(SECRET, "admin", now), now);
    expect(claims).toEqual({
      sub: "admin",
      iat: now / 1000,
      exp: now / 1000 + TOKEN_TTL_SECONDS,
    });
  });

  it("refuses an expired, forged, altered or unsigned token", () => {
    const now = Date.now();
    const token = signToken(SECRET, "admin", now);
    expect(verifyToken(SECRET, token, now + 24 * 3600_000 + 1000)).toBeNull();
    expect(
      verifyToken("another-secret-of-at-least-32-chars", token),
    ).toBeNull();
    const [header, , sig] = token.split(".");
    const root = b64({ sub: "root", iat: 0, exp: 9e9 });
    expect(verifyToken(SECRET, `${header}.${root}.${sig}`)).toBeNull();
    expect(
      verifyToken(SECRET, `${b64({ alg: "none", typ: "JWT" })}.${root}.`),
    ).toBeNull();
    // Signed right, but with another algorithm named in the header: only HS256 is ours.
    const h384 = b64({ alg: "HS384", typ: "JWT" });
    const s384 = createHmac("sha384", SECRET)
      .update(`${h384}.${root}`)
      .digest("base64url");
    expect(verifyToken(SECRET, `${h384}.${root}.${s384}`)).toBeNull();
    expect(verifyToken(SECRET, "not a token")).toBeNull();
  });
});
