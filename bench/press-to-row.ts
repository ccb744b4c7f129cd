// Press -> row written, for the reference DAG and for a hand-written minimal Restate workflow making the same
// three calls (send the button message, wait for the press through the same router, write the row), served by
// the same worker against the same emulators, runs interleaved. Usage: npm run bench:press [-- --runs 30]
import "@poekhali/core";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import * as restate from "@restatedev/restate-sdk";
import { type Json } from "@poekhali/core";
import { AirtableHook } from "@poekhali/airtable";
import { startSandbox } from "@poekhali/emulators";
import {
  ROUTER_NAME,
  TelegramHook,
  callbackData,
  displayName,
  buttonKey,
  buttonRef,
  type ButtonPress,
  type Watch,
} from "@poekhali/telegram";
import { telegramGoButton } from "../dags/telegram_go_button.js";
import { startTemporaryRestate } from "../packages/poekhali/src/restate/temporary-restate.js";
import { sandboxWorker } from "./sandbox-worker.js";
import { printComparison, summary } from "./stats.js";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "30" } },
});
const RUNS = Number(values.runs);

const sandbox = await startSandbox();
const { telegram, airtable } = sandbox.info;
const tgHook = new TelegramHook({
  token: telegram.token,
  apiRoot: telegram.api_root,
});
const atHook = new AirtableHook({
  token: airtable.token,
  baseId: airtable.base_id,
  endpointUrl: airtable.endpoint_url,
});

/** The baseline: the same three calls, written directly on the Restate SDK, with no DAG layer. */
const baseline = restate.workflow({
  name: "baseline_go_button",
  options: { inactivityTimeout: 5_000 },
  handlers: {
    run: async (
      ctx: restate.WorkflowContext,
      input: { text: string; chat_id: string },
    ) => {
      const sent = await ctx.run("send the button", async () => {
        const nonce = randomBytes(12).toString("base64url");
        const replyMarkup = {
          inline_keyboard: [
            [{ text: "Поехали", callback_data: callbackData(nonce) }],
          ],
        };
        const m = await tgHook.sendMessage({
          chatId: input.chat_id,
          text: input.text,
          replyMarkup,
        });
        return {
          chat_id: String(m.chat.id),
          message_id: m.message_id,
          ref: buttonRef(nonce),
        };
      });
      const press = ctx.awakeable<ButtonPress>();
      const watch: Watch = {
        message_id: sent.message_id,
        trigger_id: press.id,
        allowed_usernames: null,
        answer_text: "Поехали!",
      };
      ctx.genericSend({
        service: ROUTER_NAME,
        method: "watch",
        key: buttonKey(tgHook.botId, sent.chat_id, sent.ref),
        parameter: watch,
        inputSerde: restate.serde.json,
      });
      const p = await press.promise;
      const row = {
        chat_id: p.chat_id,
        username: displayName(p),
        triggered_at: p.triggered_at,
        event_type: "button_press",
        reporter_name: "bench",
      };
      await ctx.run("write the row", () =>
        atHook.upsertRecords(
          airtable.table,
          [row],
          ["chat_id", "username", "triggered_at"],
        ),
      );
    },
  },
});

const stack = await startTemporaryRestate("poekhali-bench-press-");
const { server, ingress } = stack;
const worker = await sandboxWorker(
  sandbox.info,
  server,
  [telegramGoButton],
  [baseline],
);
try {
  await server.register(worker.deployments[0]!);
  const rows = () => sandbox.airtable.records(airtable.base_id, airtable.table);
  const messages = async (chatId: string) => {
    const res = await fetch(
      `${telegram.api_root}/_emulator/chats/${chatId}/messages`,
    );
    return (
      (await res.json()) as {
        result: { message_id: number; text: string; reply_markup?: unknown }[];
      }
    ).result;
  };
  const until = async <T>(
    what: string,
    check: () => Promise<T | undefined> | T | undefined,
  ): Promise<T> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };

  /** One run of `service`: trigger, wait for its button, press, and time press -> row created (Airtable's clock). */
  const once = async (service: string, i: number): Promise<number> => {
    const text = `${service} ${i}`;
    const username = `bench_${service.slice(0, 4)}_${i}`;
    // A group of its own: Telegram allows a bot about 20 messages a minute per group, and the hook keeps to it.
    const chatId = String(
      sandbox.telegram.createChat({ type: "supergroup", title: text }).id,
    );
    const input: Json =
      service === "baseline_go_button"
        ? { text, chat_id: chatId }
        : { conf: { text, chat_id: chatId } };
    await ingress.send({ service, handler: "run", key: `r${i}` }, input);
    const message = await until("the button", async () =>
      (await messages(chatId)).find((m) => m.text === text && m.reply_markup),
    );
    // A person takes a moment to press; the run parks meanwhile. (A benchmark models the person; tests never sleep.)
    await new Promise((resolve) => setTimeout(resolve, 20));
    const pressedAt = Date.now();
    await fetch(`${telegram.api_root}/_emulator/press`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        chat_id: Number(chatId),
        message_id: message.message_id,
        from: { id: 9000 + i, username, first_name: "Bench" },
      }),
    });
    const row = await until("the row", () =>
      rows().find((r) => r.fields.username === username),
    );
    return Date.parse(row.createdTime) - pressedAt;
  };

  const samples: Record<string, number[]> = {
    "hand-written Restate workflow": [],
    "poekhali DAG telegram_go_button": [],
  };
  for (let i = 0; i < 3; i++) {
    await once("baseline_go_button", 1000 + i);
    await once("telegram_go_button", 1000 + i);
  }
  let lastPair = 0;
  for (let i = 0; i < RUNS; i++) {
    // Both variants write to one base: a pair per 450 ms keeps it under Airtable's 5 requests/s, so the writer
    // never has to hold a row back. (This measures latency; bench:airtable measures throughput at the limit.)
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, lastPair + 450 - Date.now())),
    );
    lastPair = Date.now();
    const order =
      i % 2 === 0
        ? ["baseline_go_button", "telegram_go_button"]
        : ["telegram_go_button", "baseline_go_button"];
    for (const service of order) {
      const ms = await once(service, i);
      samples[
        service === "baseline_go_button"
          ? "hand-written Restate workflow"
          : "poekhali DAG telegram_go_button"
      ]!.push(ms);
    }
  }
  printComparison(
    `Press -> row written (${RUNS} runs each, interleaved; Airtable's createdTime minus the press)`,
    samples,
  );
  // Where a DAG run's time goes after the press, from its task instances and the row's createdTime.
  type Ti = { task_id: string; start_date: string; end_date: string };
  const last = await ingress.call<{ task_instances: Ti[] }>({
    service: "telegram_go_button",
    handler: "status",
    key: `r${RUNS - 1}`,
  });
  const at = (id: string, k: "start_date" | "end_date") =>
    Date.parse(last.task_instances.find((t) => t.task_id === id)?.[k] ?? "");
  const row = rows().find(
    (r) => r.fields.username === `bench_tele_${RUNS - 1}`,
  );
  const pressed = Date.parse(String(row?.fields.triggered_at));
  console.log(
    `  last DAG run after the press: sensor done +${at("wait_for_press", "end_date") - pressed} ms, ` +
      `write_row parked +${at("write_row", "start_date") - pressed} ms, row created +${Date.parse(row?.createdTime ?? "") - pressed} ms`,
  );
  const dag = summary(samples["poekhali DAG telegram_go_button"]!);
  const base = summary(samples["hand-written Restate workflow"]!);
  const p99 = (xs: number[]) =>
    [...xs].sort((a, b) => a - b)[Math.ceil(0.99 * xs.length) - 1] ??
    Number.NaN;
  console.log(
    `  p99: baseline ${p99(samples["hand-written Restate workflow"]!).toFixed(1)} ms, DAG ${p99(samples["poekhali DAG telegram_go_button"]!).toFixed(1)} ms`,
  );
  const met = dag.p50 / base.p50 <= 1.5 && dag.p50 < 100;
  console.log(
    `  target (DAG within 1.5x of the baseline, p50 under 100 ms): ${met ? "met" : "NOT met"}`,
  );
} finally {
  await worker.stop();
  await stack.stop();
  await sandbox.close();
}
