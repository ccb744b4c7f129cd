import { describe, expect, it } from "vitest";
import { resolveConfig } from "./config.js";
import { ConfigError } from "./errors.js";

const TOKEN = "123456789:fake-token-for-config-tests-abcdefghij";
const live = {
  TELEGRAM_BOT_TOKEN: TOKEN,
  TELEGRAM_CHAT_ID: "-1001234567890",
  AIRTABLE_TOKEN: "patX",
  AIRTABLE_BASE_ID: "appABCDEFGHIJKLMN",
};

function failure(env: NodeJS.ProcessEnv): ConfigError {
  try {
    resolveConfig(env, "/srv/poekhali");
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("resolveConfig", () => {
  it("runs the sandbox with the documented defaults when no bot token is set", () => {
    const config = resolveConfig({}, "/srv/poekhali");
    expect(config).toMatchObject({
      mode: "sandbox",
      home: "/srv/poekhali/.poekhali",
      port: 8000,
      workerPort: 9080,
      restate: {
        ingressPort: 8080,
        adminPort: 9070,
        nodePort: 5122,
        settings: {},
      },
      dagsFolder: "/srv/poekhali/dags",
      reporterName: "poekhali",
      eventType: "button_press",
    });
    expect(config.telegram).toBeUndefined();
  });

  it("takes the embedded restate-server's limits from POEKHALI_RESTATE_* and names a bad one", () => {
    expect(
      resolveConfig(
        {
          POEKHALI_RESTATE_CONCURRENT_INVOCATIONS: "256",
          POEKHALI_RESTATE_QUERY_MEMORY: "128MiB",
          POEKHALI_RESTATE_ROCKSDB_MEMORY: "",
        },
        "/srv",
      ).restate.settings,
    ).toEqual({ concurrentInvocations: 256, queryMemory: "128MiB" });
    expect(
      failure({ POEKHALI_RESTATE_CONCURRENT_INVOCATIONS: "lots" }).variable,
    ).toBe("POEKHALI_RESTATE_CONCURRENT_INVOCATIONS");
    expect(
      failure({ POEKHALI_RESTATE_RECORD_CACHE_MEMORY: "big" }).variable,
    ).toBe("POEKHALI_RESTATE_RECORD_CACHE_MEMORY");
  });

  it("treats an empty TELEGRAM_BOT_TOKEN (as in .env.example) as unset", () => {
    expect(resolveConfig({ TELEGRAM_BOT_TOKEN: "" }, "/srv").mode).toBe(
      "sandbox",
    );
  });

  it("runs live with Telegram's and Airtable's default addresses", () => {
    const config = resolveConfig(live, "/srv");
    expect(config.mode).toBe("live");
    expect(config.telegram).toEqual({
      token: TOKEN,
      chatId: "-1001234567890",
      apiRoot: "https://api.telegram.org",
    });
    expect(config.airtable).toMatchObject({
      table: "tg_actions",
      endpointUrl: "https://api.airtable.com",
    });
  });

  it("names each variable that live mode needs", () => {
    expect(failure({ ...live, TELEGRAM_CHAT_ID: undefined }).variable).toBe(
      "TELEGRAM_CHAT_ID",
    );
    expect(failure({ ...live, AIRTABLE_TOKEN: undefined }).variable).toBe(
      "AIRTABLE_TOKEN",
    );
    expect(failure({ ...live, AIRTABLE_BASE_ID: undefined }).variable).toBe(
      "AIRTABLE_BASE_ID",
    );
  });

  it("names malformed variables without echoing their values", () => {
    const bad = failure({ TELEGRAM_BOT_TOKEN: "not-a-token-secret" });
    expect(bad.variable).toBe("TELEGRAM_BOT_TOKEN");
    expect(bad.message).not.toContain("not-a-token-secret");
    expect(failure({ POEKHALI_PORT: "70000" }).variable).toBe("POEKHALI_PORT");
    expect(failure({ TELEGRAM_API_ROOT: "ftp://x" }).variable).toBe(
      "TELEGRAM_API_ROOT",
    );
    expect(failure({ ...live, AIRTABLE_BASE_ID: "base1" }).variable).toBe(
      "AIRTABLE_BASE_ID",
    );
  });

  it("strips a trailing slash from API roots, as grammY needs", () => {
    expect(
      resolveConfig(
        { ...live, TELEGRAM_API_ROOT: "http://127.0.0.1:8081/" },
        "/srv",
      ).telegram?.apiRoot,
    ).toBe("http://127.0.0.1:8081");
  });

  it("polls Telegram by default and takes TELEGRAM_UPDATES=webhook with its URL and secret", () => {
    expect(resolveConfig({}, "/srv").updates).toEqual({
      mode: "poll",
      webhookUrl: undefined,
      webhookSecret: undefined,
    });
    const env = {
      TELEGRAM_UPDATES: "webhook",
      TELEGRAM_WEBHOOK_URL: "https://bot.example.com/telegram/webhook",
      TELEGRAM_WEBHOOK_SECRET: "s3cret_of-16chars",
    };
    expect(resolveConfig(env, "/srv").updates).toEqual({
      mode: "webhook",
      webhookUrl: "https://bot.example.com/telegram/webhook",
      webhookSecret: "s3cret_of-16chars",
    });
  });

  it("names TELEGRAM_UPDATES, TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET when they are wrong, without echoing them", () => {
    expect(failure({ TELEGRAM_UPDATES: "push" }).message).toBe(
      'TELEGRAM_UPDATES: must be "poll" or "webhook"',
    );
    expect(failure({ TELEGRAM_WEBHOOK_URL: "ftp://x" }).variable).toBe(
      "TELEGRAM_WEBHOOK_URL",
    );
    const secret = failure({ TELEGRAM_WEBHOOK_SECRET: "short secret!" });
    expect(secret.variable).toBe("TELEGRAM_WEBHOOK_SECRET");
    expect(secret.message).not.toContain("short secret!");
  });

  it("is open on loopback by default: user admin, no password, no extra hosts", () => {
    const config = resolveConfig({}, "/srv");
    expect(config.auth).toEqual({
      username: "admin",
      password: undefined,
      secret: undefined,
    });
    expect(config.allowedHosts).toEqual([]);
    for (const host of ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
      expect(resolveConfig({ POEKHALI_HOST: host }, "/srv").host).toBe(host);
  });

  it("refuses to bind beyond loopback without POEKHALI_AUTH_PASSWORD, naming both variables", () => {
    for (const host of ["0.0.0.0", "192.168.1.5", "::"]) {
      const error = failure({ POEKHALI_HOST: host });
      expect(error.variable).toBe("POEKHALI_AUTH_PASSWORD");
      expect(error.message).toContain("POEKHALI_HOST");
      expect(error.message).toContain("POEKHALI_AUTH_USERNAME");
    }
    const config = resolveConfig(
      {
        POEKHALI_HOST: "0.0.0.0",
        POEKHALI_AUTH_USERNAME: "ops",
        POEKHALI_AUTH_PASSWORD: " spaced pw ",
        POEKHALI_ALLOWED_HOSTS: "Poekhali.Example.com, 192.168.1.5",
      },
      "/srv",
    );
    expect(config.auth).toMatchObject({
      username: "ops",
      password: " spaced pw ",
    });
    expect(config.allowedHosts).toEqual([
      "poekhali.example.com",
      "192.168.1.5",
    ]);
  });

  it("names POEKHALI_ALLOWED_HOSTS and POEKHALI_AUTH_SECRET when they are malformed, without echoing the secret", () => {
    expect(
      failure({ POEKHALI_ALLOWED_HOSTS: "https://x.example/" }).variable,
    ).toBe("POEKHALI_ALLOWED_HOSTS");
    const secret = failure({ POEKHALI_AUTH_SECRET: "too-short-secret" });
    expect(secret.variable).toBe("POEKHALI_AUTH_SECRET");
    expect(secret.message).not.toContain("too-short-secret");
  });

  it("takes an external Restate only as both RESTATE_ADMIN_URL and RESTATE_INGRESS_URL, naming the missing one", () => {
    const config = resolveConfig(
      {
        RESTATE_ADMIN_URL: "http://restate.internal:9070/",
        RESTATE_INGRESS_URL: "https://restate.internal:8080",
      },
      "/srv",
    );
    expect(config.externalRestate).toEqual({
      adminUrl: "http://restate.internal:9070",
      ingressUrl: "https://restate.internal:8080",
    });
    expect(resolveConfig({}, "/srv").externalRestate).toBeUndefined();
    expect(
      failure({ RESTATE_ADMIN_URL: "http://restate.internal:9070" }).variable,
    ).toBe("RESTATE_INGRESS_URL");
    expect(
      failure({ RESTATE_INGRESS_URL: "http://restate.internal:8080" }).variable,
    ).toBe("RESTATE_ADMIN_URL");
    const bad = failure({
      RESTATE_ADMIN_URL: "restate.internal:9070",
      RESTATE_INGRESS_URL: "http://restate.internal:8080",
    });
    expect(bad.variable).toBe("RESTATE_ADMIN_URL");
    expect(bad.message).toContain("must be an http(s) URL");
  });

  it("reads the worker's bind address and the identity keys it accepts", () => {
    const key = "publickeyv1_AfQwmwfgEZhrWpvv8N52SHpRtZqGGaFr4AZN6qtYWSiY";
    const config = resolveConfig(
      { POEKHALI_WORKER_HOST: "0.0.0.0", RESTATE_IDENTITY_KEYS: key },
      "/srv",
    );
    expect(config.workerHost).toBe("0.0.0.0");
    expect(config.identityKeys).toEqual([key]);
    expect(resolveConfig({}, "/srv").workerHost).toBe("127.0.0.1");
    expect(failure({ RESTATE_IDENTITY_KEYS: "hunter2" }).variable).toBe(
      "RESTATE_IDENTITY_KEYS",
    );
  });

  it("refuses a URL with a user name or password, naming the variable and echoing neither", () => {
    for (const variable of [
      "RESTATE_ADMIN_URL",
      "RESTATE_INGRESS_URL",
      "POEKHALI_WORKER_URL",
      "TELEGRAM_API_ROOT",
      "TELEGRAM_WEBHOOK_URL",
      "AIRTABLE_ENDPOINT_URL",
    ]) {
      const bad = failure({
        RESTATE_ADMIN_URL: "http://restate.internal:9070",
        RESTATE_INGRESS_URL: "http://restate.internal:8080",
        [variable]: "https://ops:s3cret-pass@restate.internal:9070",
      });
      expect(bad.variable).toBe(variable);
      expect(bad.message).toContain("must not contain a user name or password");
      expect(bad.message).not.toContain("s3cret-pass");
    }
  });

  it("names POEKHALI_WORKER_HOST when it is not an address or host name", () => {
    for (const host of [
      "http://0.0.0.0",
      "127.0.0.1:9080",
      "worker host",
      "[::]",
    ]) {
      const bad = failure({ POEKHALI_WORKER_HOST: host });
      expect(bad.variable).toBe("POEKHALI_WORKER_HOST");
      expect(bad.message).toContain("must be an IP address or host name");
    }
    for (const host of [
      "::",
      "::1",
      "10.0.0.7",
      "worker-1.internal",
      "localhost",
    ])
      expect(
        resolveConfig({ POEKHALI_WORKER_HOST: host }, "/srv").workerHost,
      ).toBe(host);
  });

  it("names POEKHALI_INTERNAL_KEY when it is too short or has white space around it, and what it wants, without echoing it", () => {
    const good = "a-random-internal-key-0123456789abcdef";
    const short = failure({ POEKHALI_INTERNAL_KEY: "tooshort-key-1234" });
    expect(short.variable).toBe("POEKHALI_INTERNAL_KEY");
    expect(short.message).toMatch(
      /^POEKHALI_INTERNAL_KEY: is too short \(17 characters\): use a random string of at least 32 characters/,
    );
    expect(short.message).not.toContain("tooshort-key-1234");
    for (const spaced of [` ${good}`, `${good}\n`, `\t${good} `]) {
      const error = failure({ POEKHALI_INTERNAL_KEY: spaced });
      expect(error.variable).toBe("POEKHALI_INTERNAL_KEY");
      expect(error.message).toBe(
        "POEKHALI_INTERNAL_KEY: has white space (a space, tab or line break) at its start or end: set the key alone, " +
          "the same on every worker and web instance",
      );
    }
    // Unset or empty, `up` keeps a key of its own; a fit key is taken as it is.
    expect(resolveConfig({ POEKHALI_INTERNAL_KEY: "" }, "/srv").port).toBe(
      8000,
    );
    expect(resolveConfig({ POEKHALI_INTERNAL_KEY: good }, "/srv").port).toBe(
      8000,
    );
  });
});
