import type { IncomingMessage } from "node:http";
import {
  authenticationRequired,
  invalidPermissions,
} from "./airtable-errors.js";
import { makePersonalAccessToken } from "./airtable-ids.js";

/** The scopes the emulator checks. */
export type Scope =
  "data.records:read" | "data.records:write" | "schema.bases:read";

/** A personal access token's grants. */
export interface TokenGrant {
  scopes: ReadonlySet<string>;
  bases: ReadonlySet<string> | "all";
}

/** A token and its grant as a state file holds them. */
export interface TokenSnapshot {
  token: string;
  scopes: string[];
  bases: string[] | "all";
}

/** Personal access tokens with their scopes and bases. */
export class AccessTokens {
  private readonly grants = new Map<string, TokenGrant>();

  /** Issues a token. */
  issue(scopes: string[], bases: string[] | "all"): string {
    const token = makePersonalAccessToken();
    this.grants.set(token, {
      scopes: new Set(scopes),
      bases: bases === "all" ? "all" : new Set(bases),
    });
    return token;
  }

  /** Finds a token issued with exactly these scopes and bases, as one issued before a restart. */
  find(scopes: string[], bases: string[] | "all"): string | undefined {
    const same = (a: ReadonlySet<string>, b: string[]) =>
      a.size === new Set(b).size && b.every((item) => a.has(item));
    for (const [token, grant] of this.grants) {
      const basesMatch =
        bases === "all" || grant.bases === "all"
          ? bases === grant.bases
          : same(grant.bases, bases);
      if (basesMatch && same(grant.scopes, scopes)) return token;
    }
    return undefined;
  }

  /** Every token with its grant, for a state file. */
  snapshot(): TokenSnapshot[] {
    return [...this.grants].map(([token, grant]) => ({
      token,
      scopes: [...grant.scopes],
      bases: grant.bases === "all" ? "all" : [...grant.bases],
    }));
  }

  /** Takes back what {@link AccessTokens.snapshot} returned. */
  restore(tokens: TokenSnapshot[]): void {
    for (const { token, scopes, bases } of tokens)
      this.grants.set(token, {
        scopes: new Set(scopes),
        bases: bases === "all" ? "all" : new Set(bases),
      });
  }

  /** Reads `Authorization: Bearer <token>` and returns its grant, or raises 401. */
  authenticate(req: IncomingMessage): TokenGrant {
    const header = req.headers.authorization ?? "";
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const grant = token === undefined ? undefined : this.grants.get(token);
    if (grant === undefined) throw authenticationRequired();
    return grant;
  }
}

/** Raises 403 unless the grant has the scope and reaches the base. */
export function authorize(
  grant: TokenGrant,
  scope: Scope,
  baseId: string,
): void {
  const reachesBase = grant.bases === "all" || grant.bases.has(baseId);
  if (!reachesBase || !grant.scopes.has(scope)) throw invalidPermissions();
}
