import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AUTH_SECRET_FILE, authSecret } from "./auth-secret.js";

describe("authSecret", () => {
  const homes: string[] = [];
  afterEach(() => {
    for (const home of homes.splice(0)) rmSync(home, { recursive: true });
  });
  const home = () => {
    const dir = mkdtempSync(join(tmpdir(), "poekhali-auth-"));
    homes.push(dir);
    return dir;
  };

  it("generates a secret once, readable by the owner only, and keeps it across restarts", () => {
    const dir = home();
    const first = authSecret(dir);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, AUTH_SECRET_FILE)).mode & 0o777).toBe(0o600);
    expect(authSecret(dir)).toBe(first);
  });

  it("takes POEKHALI_AUTH_SECRET when set, writing nothing", () => {
    const dir = home();
    expect(authSecret(dir, "x".repeat(40))).toBe("x".repeat(40));
    expect(() => statSync(join(dir, AUTH_SECRET_FILE))).toThrow();
  });
});
