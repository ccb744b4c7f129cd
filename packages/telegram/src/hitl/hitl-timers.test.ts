import { describe, expect, it } from "vitest";
import { checkTimerSettings } from "./hitl-timers.js";
import type { TelegramChannelSettings } from "./telegram-channel.js";

const settings: TelegramChannelSettings = {
  conn_id: "telegram_default",
  chat_id: null,
  quorum: 1,
  veto: [],
  allowed_usernames: [],
  allowed_user_ids: [],
  remind_after: "1h",
  escalate_after: "2h",
  escalate_chat_id: "-1001",
  language: "en",
};

describe("checkTimerSettings", () => {
  it("takes durations Restate can wait, and an escalation with its chat", () => {
    expect(() => checkTimerSettings(settings)).not.toThrow();
    expect(() =>
      checkTimerSettings({
        ...settings,
        remind_after: null,
        escalate_after: null,
        escalate_chat_id: null,
      }),
    ).not.toThrow();
  });

  it("names the setting that is wrong when the task parks", () => {
    expect(() =>
      checkTimerSettings({ ...settings, remind_after: "soon" }),
    ).toThrow(/^the Telegram channel's remind_after "soon" is no duration: /);
    expect(() =>
      checkTimerSettings({ ...settings, escalate_chat_id: null }),
    ).toThrow(
      "the Telegram channel's escalate_after needs escalate_chat_id: the chat to escalate to",
    );
  });
});
