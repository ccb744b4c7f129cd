import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
} from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../errors.js";

/** The environment variable that gives a worker the public keys whose signatures it accepts (comma-separated). */
export const IDENTITY_KEYS_ENV = "RESTATE_IDENTITY_KEYS";

/**
 * restate-server's setting naming its request-identity private key (PEM, ed25519): `worker.invoker.…` in its config;
 * restate-server 1.7 still reads the older top-level RESTATE_REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE, with a warning.
 * The invoker's key signs discovery (registration) requests too.
 */
export const IDENTITY_PRIVATE_KEY_ENV =
  "RESTATE_WORKER__INVOKER__REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE";

/** The private key's file name in the directory {@link identityKey} keeps it in. */
export const IDENTITY_KEY_FILE = "restate-identity-key.pem";

/** A request-identity key pair: restate-server signs with the private key, workers check with the public one. */
export interface IdentityKey {
  /** The PEM file (PKCS#8, ed25519, mode 0600) to give restate-server as its request-identity private key. */
  readonly privateKeyPemPath: string;
  /** The public key in Restate's `publickeyv1_…` form, for the SDK's `identityKeys` / RESTATE_IDENTITY_KEYS. */
  readonly publicKey: string;
}

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Bitcoin-alphabet base58, as Restate's `bs58::encode` writes the key. */
function base58(bytes: Uint8Array): string {
  const digits: number[] = [];
  for (const byte of bytes) {
    let carry = byte;
    for (let i = 0; i < digits.length; i++) {
      carry += (digits[i] ?? 0) << 8;
      digits[i] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    for (; carry > 0; carry = Math.floor(carry / 58)) digits.push(carry % 58);
  }
  let out = "";
  for (const byte of bytes) {
    if (byte !== 0) break;
    out += "1";
  }
  for (let i = digits.length - 1; i >= 0; i--) out += BASE58[digits[i] ?? 0];
  return out;
}

/**
 * The `publickeyv1_…` form of an ed25519 private key's public half: Restate's own derivation (the raw 32-byte key,
 * base58), the key id restate-server logs at start-up and puts in every request's JWT.
 */
export function publicKeyOf(privateKeyPem: string): string {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== "ed25519")
    throw new ConfigError(
      IDENTITY_PRIVATE_KEY_ENV,
      `must be an ed25519 private key, not ${key.asymmetricKeyType ?? "a symmetric key"}`,
    );
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  // An ed25519 SubjectPublicKeyInfo is a 12-byte header and the raw key.
  return `publickeyv1_${base58(spki.subarray(spki.length - 32))}`;
}

/**
 * The request-identity key pair kept in `dir`: read from `dir/restate-identity-key.pem`, or generated there (mode
 * 0600) the first time, so that workers given its public key keep accepting the server after restarts.
 *
 * @example
 * const { privateKeyPemPath, publicKey } = identityKey(home);
 * // restate-server: RESTATE_REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE=privateKeyPemPath; workers: RESTATE_IDENTITY_KEYS=publicKey
 */
export function identityKey(dir: string): IdentityKey {
  mkdirSync(dir, { recursive: true });
  const privateKeyPemPath = join(dir, IDENTITY_KEY_FILE);
  let pem: string;
  try {
    pem = readFileSync(privateKeyPemPath, "utf8");
    // A copy restored with looser permissions is tightened: the file lets its holder call every worker.
    chmodSync(privateKeyPemPath, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    pem = generateKeyPairSync("ed25519").privateKey.export({
      type: "pkcs8",
      format: "pem",
    }) as string;
    try {
      // `wx`: two starts at once keep one key, the first written; the loser reads it below.
      writeFileSync(privateKeyPemPath, pem, { mode: 0o600, flag: "wx" });
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== "EEXIST") throw raced;
      pem = readFileSync(privateKeyPemPath, "utf8");
    }
  }
  return { privateKeyPemPath, publicKey: publicKeyOf(pem) };
}

/** Parses RESTATE_IDENTITY_KEYS (comma-separated `publickeyv1_…`), or throws a {@link ConfigError} naming it. */
export function parseIdentityKeys(value: string | undefined): string[] {
  const keys = (value ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  for (const key of keys)
    if (!/^publickeyv1_[1-9A-HJ-NP-Za-km-z]{32,50}$/.test(key))
      throw new ConfigError(
        IDENTITY_KEYS_ENV,
        "must be public keys of the form publickeyv1_… (base58), separated by commas",
      );
  return keys;
}
