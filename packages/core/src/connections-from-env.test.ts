import { describe, expect, it } from "vitest";
import {
  connectionFromEnv,
  connectionsFromEnv,
} from "./connections-from-env.js";
import { StaticConnections } from "./connections.js";

const TOKEN = "123456:AAH-secret_token_value";

describe("connections from the environment", () => {
  it("reads the JSON form", () => {
    const c = connectionFromEnv(
      "telegram_default",
      JSON.stringify({
        conn_type: "telegram",
        host: "-100123",
        password: TOKEN,
        extra: { api_root: "http://127.0.0.1:1" },
      }),
    );
    expect(c).toEqual({
      connId: "telegram_default",
      connType: "telegram",
      host: "-100123",
      password: TOKEN,
      extra: { api_root: "http://127.0.0.1:1" },
    });
  });

  it("reads the URI form, decoding the password and extras", () => {
    const c = connectionFromEnv(
      "airtable_default",
      `airtable://:${encodeURIComponent("pat1.abc/def")}@api.airtable.com?base_id=appABCDEFGHIJKLMN&table=tg_actions`,
    );
    expect(c).toMatchObject({
      connType: "airtable",
      host: "api.airtable.com",
      password: "pat1.abc/def",
      extra: { base_id: "appABCDEFGHIJKLMN", table: "tg_actions" },
    });
  });

  it("takes every POEKHALI_CONN_ variable, with a lower-case id", () => {
    const list = connectionsFromEnv({
      POEKHALI_CONN_MY_BOT: `telegram://:${TOKEN}@-1001`,
      OTHER: "x",
    });
    expect(list.map((c) => [c.connId, c.host])).toEqual([["my_bot", "-1001"]]);
  });

  it("names the variable but never echoes its value when it is malformed", () => {
    expect(() =>
      connectionFromEnv("bad", `{"conn_type": 1, "password": "${TOKEN}"}`),
    ).toThrow(/POEKHALI_CONN_BAD has no "conn_type"/);
    try {
      connectionFromEnv("worse", `not a uri ${TOKEN}`);
    } catch (error) {
      expect(String(error)).toContain("POEKHALI_CONN_WORSE");
      expect(String(error)).not.toContain(TOKEN);
    }
  });

  it("tells which variable defines a missing connection", () => {
    expect(() => new StaticConnections([]).get("airtable_default")).toThrow(
      /set POEKHALI_CONN_AIRTABLE_DEFAULT/,
    );
  });
});
