import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import {
  IDENTITY_KEY_FILE,
  identityKey,
  parseIdentityKeys,
  publicKeyOf,
} from "./identity-key.js";

// Restate's own test vector (restate crates/service-client request_identity/v1.rs): this key's id.
const RESTATE_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIPe++4ZTPQDF81otpoU/mOGHC2vOAVp9WbiCblvn3nXO
-----END PRIVATE KEY-----
`;
const RESTATE_KEY_ID =
  "publickeyv1_AfQwmwfgEZhrWpvv8N52SHpRtZqGGaFr4AZN6qtYWSiY";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "poekhali-identity-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0))
    rmSync(dir, { recursive: true, force: true });
});

describe("identityKey", () => {
  it("derives the public key exactly as restate-server names it", () => {
    expect(publicKeyOf(RESTATE_PRIVATE_KEY)).toBe(RESTATE_KEY_ID);
  });

  it("generates a private key of mode 0600 the first time and reads the same pair afterwards", () => {
    const dir = tempDir();
    const first = identityKey(dir);
    expect(first.privateKeyPemPath).toBe(join(dir, IDENTITY_KEY_FILE));
    expect(statSync(first.privateKeyPemPath).mode & 0o777).toBe(0o600);
    expect(parseIdentityKeys(first.publicKey)).toEqual([first.publicKey]);
    expect(identityKey(dir)).toEqual(first);
  });

  it("keeps a key put in the directory beforehand, tightening its mode", () => {
    const dir = tempDir();
    writeFileSync(join(dir, IDENTITY_KEY_FILE), RESTATE_PRIVATE_KEY, {
      mode: 0o644,
    });
    expect(identityKey(dir).publicKey).toBe(RESTATE_KEY_ID);
    expect(statSync(join(dir, IDENTITY_KEY_FILE)).mode & 0o777).toBe(0o600);
  });
});

describe("parseIdentityKeys", () => {
  it("reads comma-separated keys and treats unset as none", () => {
    expect(parseIdentityKeys(undefined)).toEqual([]);
    expect(parseIdentityKeys(` ${RESTATE_KEY_ID} ,${RESTATE_KEY_ID}`)).toEqual([
      RESTATE_KEY_ID,
      RESTATE_KEY_ID,
    ]);
  });

  it("refuses a malformed key naming RESTATE_IDENTITY_KEYS", () => {
    expect(() => parseIdentityKeys("publickeyv1_0OIl")).toThrow(ConfigError);
    expect(() => parseIdentityKeys("secret")).toThrow(/RESTATE_IDENTITY_KEYS/);
  });
});
