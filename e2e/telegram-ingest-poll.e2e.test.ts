import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebhookSettings, type IngestedUpdateType } from "@poekhali/telegram";
import { eventually } from "./harness.js";
import { pollerFleet } from "./poller-fleet.js";
import { startIngestStack, type IngestStack } from "./telegram-ingest-stack.js";

describe("the update poller", () => {
  let stack: IngestStack;
  const fleet = pollerFleet(() => ({
    token: stack.bot.token,
    apiRoot: stack.telegram.apiRoot,
  }));
  const { lines } = fleet;
  const poller = (
    name: string,
    allowedUpdates: IngestedUpdateType[] = ["callback_query", "message"],
  ) =>
    fleet.start(name, stack.ingress, {
      webhook: new WebhookSettings({
        token: stack.bot.token,
        apiRoot: stack.telegram.apiRoot,
      }),
      timeoutSeconds: 2,
      allowedUpdates,
    });
  const said = (text: string) => lines.filter((l) => l.includes(text));

  beforeAll(async () => {
    stack = await startIngestStack();
  });
  afterAll(async () => {
    await fleet.stopAll();
    await stack?.stop();
    // No line said during the whole file shows the token.
    expect(lines.join("\n")).not.toContain(stack.bot.token);
  });

  it("keeps a message waiting at Telegram until telegram_messages is deployed, then hands it over once", async () => {
    const p = poller("waiting");
    const id = stack.post("привет");
    await eventually(
      "the poller to report that Restate refused the message",
      () => said(`Restate did not accept update ${id}`).length > 0,
    );
    expect(await stack.pending()).toBe(1);

    await stack.deployMessages();
    await eventually(
      "the message to be handed over",
      async () => (await stack.seen()).length > 0,
      30_000,
    );
    await eventually(
      "Telegram to have no update left",
      async () => (await stack.pending()) === 0,
    );
    expect(await stack.seen()).toEqual([
      {
        update_id: id,
        bot_id: stack.bot.id,
        chat_id: String(stack.chat.id),
        message_id: expect.any(Number) as number,
        from: { id: stack.user.id, username: "anna", first_name: "Анна" },
        text: "привет",
        reply_to_message_id: null,
        received_at: expect.stringMatching(
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
        ) as string,
        // Signed with the bot's token: telegram_messages drops a message that is not.
        signature: expect.any(String) as string,
      },
    ]);
    expect(said(`Restate did not accept update ${id}`)).toHaveLength(1);
    await p.stop();
  });

  it("says once, with cause and fix, that a webhook is set, backs off, and polls again once it is deleted", async () => {
    const settings = new WebhookSettings({
      token: stack.bot.token,
      apiRoot: stack.telegram.apiRoot,
    });
    await settings.set("http://127.0.0.1:9/telegram/webhook", {
      secretToken: "a-secret-of-sixteen-chars",
      allowedUpdates: ["message"],
    });
    const start = stack.telegram.calls(stack.bot.id, "getUpdates").length;
    const p = poller("webhook-left-set");
    await eventually(
      "two refused polls",
      () =>
        stack.telegram
          .calls(stack.bot.id, "getUpdates")
          .slice(start)
          .filter((c) => c.error_code === 409).length >= 2,
      15_000,
    );
    const reports = said("has a webhook set");
    expect(reports).toHaveLength(1);
    expect(reports[0]).toContain("(to http://127.0.0.1:9)");
    expect(reports[0]).toContain("deleteWebhook");
    expect(reports[0]).toContain("TELEGRAM_UPDATES=webhook");

    await settings.delete();
    const id = stack.post("после вебхука");
    await eventually(
      "the message to be handed over",
      async () => (await stack.seen()).some((e) => e.update_id === id),
      40_000,
    );
    expect(said("has a webhook set")).toHaveLength(1);
    expect(said("works again").length).toBeGreaterThan(0);
    await p.stop();
  });

  it("says once that another program polls the bot, and backs off instead of fighting", async () => {
    const start = lines.length;
    const other = new Api(stack.bot.token, { apiRoot: stack.telegram.apiRoot });
    let fighting = true;
    // Another program polls the same bot all the while, each new call ending the poller's.
    const rival = (async () => {
      while (fighting)
        await other.getUpdates({ timeout: 1 }).catch(() => undefined);
    })();
    const p = poller("rivalled");
    await eventually(
      "the conflict to be reported",
      () =>
        lines
          .slice(start)
          .some((l) => l.includes("another program polls this bot")),
      30_000,
    );
    const calls = stack.telegram.calls(stack.bot.id, "getUpdates").length;
    fighting = false;
    await rival;
    expect(
      lines
        .slice(start)
        .filter((l) => l.includes("another program polls this bot")),
    ).toHaveLength(1);
    expect(
      lines.slice(start).find((l) => l.includes("another program")),
    ).toContain("Fix: stop the other program");
    const id = stack.post("после соперника");
    await eventually(
      "the message to be handed over",
      async () => (await stack.seen()).some((e) => e.update_id === id),
      40_000,
    );
    expect(
      stack.telegram.calls(stack.bot.id, "getUpdates").length,
    ).toBeGreaterThan(calls);
    await p.stop();
  });

  it("lets one of two pollers poll, and the other take over at once when it stops", async () => {
    const [a, b] = [poller("one"), poller("two")];
    const holder = await eventually("one poller to hold the lease", () =>
      [a, b].find((p) => p.polling),
    );
    const other = holder === a ? b : a;
    expect(other.polling).toBe(false);
    await holder.stop();
    await eventually("the other to take over", () => other.polling, 5_000);
    const id = stack.post("смена");
    await eventually("the message to be handed over", async () =>
      (await stack.seen()).some((e) => e.update_id === id),
    );
    expect((await stack.seen()).filter((e) => e.update_id === id)).toHaveLength(
      1,
    );
  });
});
