import { createHash, timingSafeEqual } from "node:crypto";
import { signToken, verifyToken, type TokenClaims } from "./jwt.js";

/** One user and the secret their tokens are signed with (Airflow's simple auth manager, single user). */
export interface SimpleAuthOptions {
  readonly username: string;
  /** Unset: nobody needs to log in, and tokens are handed to anyone who asks (loopback binds only). */
  readonly password: string | undefined;
  readonly secret: string;
}

const digest = (text: string) => createHash("sha256").update(text).digest();
/** Compares in constant time whatever the lengths: both sides are hashed to 32 bytes first. */
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/**
 * Checks credentials and issues and verifies bearer tokens for the REST API and the web UI.
 *
 * @example
 * const auth = new SimpleAuth({ username: "admin", password: "s3cret", secret });
 * const token = auth.login("admin", "s3cret"); // a JWT, or null
 */
export class SimpleAuth {
  constructor(private readonly options: SimpleAuthOptions) {}

  /** Whether requests need a token: only when a password is configured. */
  get required(): boolean {
    return this.options.password !== undefined;
  }

  /** A token for these credentials, or null when they are wrong. Without a password, anyone gets one. */
  login(
    username: string | undefined,
    password: string | undefined,
  ): string | null {
    const expected = this.options.password;
    if (expected === undefined)
      return signToken(this.options.secret, username || this.options.username);
    // Both compared, always: the time taken does not tell which one was wrong.
    const userOk = same(username ?? "", this.options.username);
    const passwordOk = same(password ?? "", expected);
    return userOk && passwordOk
      ? signToken(this.options.secret, this.options.username)
      : null;
  }

  /** Whether the token was a valid one for the configured user that has since expired (Airflow's "Token Expired"). */
  expired(token: string | undefined): boolean {
    if (!token || this.verify(token)) return false;
    // Read as of the epoch, when every token this secret signed was still valid.
    return (
      verifyToken(this.options.secret, token, 0)?.sub === this.options.username
    );
  }

  /** The claims of a valid, unexpired token for the configured user, else null. */
  verify(token: string | undefined): TokenClaims | null {
    const claims = token ? verifyToken(this.options.secret, token) : null;
    // A renamed user's old tokens stop working, though the secret is the same.
    return claims?.sub === this.options.username ? claims : null;
  }
}
