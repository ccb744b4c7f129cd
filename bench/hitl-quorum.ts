// People deciding in Telegram at scale: N requests of `telegram_approval` parked (each in a group of its own, as
// Telegram limits a bot to about 20 messages a minute per group), then a burst in which each request is decided by
// a quorum of 3 presses. Prints presses answered per second, press -> answer latency, and the time from the
// deciding press to the run's next task (`record`) starting, against the same figure of `telegram_go_button`
// (its press -> `write_row` starting), measured in the same process on the same worker.
// Usage: npm run bench:hitl [-- --runs 1000 --concurrency 64]
import "@poekhali/core";
import { parseArgs } from "node:util";
import { startSandbox } from "@poekhali/emulators";
import { telegramApproval } from "../dags/telegram_approval.js";
import { telegramGoButton } from "../dags/telegram_go_button.js";
import { startTemporaryRestate } from "../packages/poekhali/src/restate/temporary-restate.js";
import { pool, until } from "./concurrency.js";
import { sandboxWorker } from "./sandbox-worker.js";
import { percentile, printComparison } from "./stats.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "64" },
    baseline: { type: "string", default: "30" },
  },
});
const RUNS = Number(values.runs);
const CONCURRENCY = Number(values.concurrency);
const BASELINE_RUNS = Number(values.baseline);
const QUORUM = 3;

const sandbox = await startSandbox();
const { telegram, airtable } = sandbox.info;
const stack = await startTemporaryRestate("poekhali-bench-hitl-");
const { server, ingress } = stack;
const worker = await sandboxWorker(sandbox.info, server, [
  telegramApproval,
  telegramGoButton,
]);

type Button = { text: string; callback_data?: string };
type Msg = {
  message_id: number;
  text: string;
  reply_markup?: { inline_keyboard: Button[][] };
};
const api = async <T>(path: string, body?: unknown): Promise<T> => {
  const res = await fetch(`${telegram.api_root}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as { ok: boolean; result: T } & T;
  if (!res.ok) throw new Error(`${path}: ${JSON.stringify(json)}`);
  return json.result ?? json;
};
const messages = (chatId: number) =>
  api<Msg[]>(`/_emulator/chats/${chatId}/messages`);
const press = (
  chatId: number,
  messageId: number,
  callbackData: string | undefined,
  user: number,
) =>
  api<{ callback_query_id: string }>("/_emulator/press", {
    chat_id: chatId,
    message_id: messageId,
    ...(callbackData === undefined ? {} : { callback_data: callbackData }),
    from: { id: user, username: `voter_${user}`, first_name: "Voter" },
  });
type Ti = { task_id: string; start_date: string | null; state: string };
const status = (service: string, key: string) =>
  ingress.call<{ state: string; task_instances: Ti[] }>({
    service,
    handler: "status",
    key,
  });
const rssMb = () => Math.round(process.memoryUsage().rss / 2 ** 20);

try {
  await server.register(worker.deployments[0]!);

  // The baseline: telegram_go_button, one press each, press -> write_row starting.
  const goButton: number[] = [];
  for (let i = 0; i < BASELINE_RUNS; i++) {
    const chat = sandbox.telegram.createChat({
      type: "supergroup",
      title: `go ${i}`,
    }).id;
    await ingress.send(
      { service: "telegram_go_button", handler: "run", key: `g${i}` },
      { conf: { text: `go ${i}`, chat_id: String(chat) } },
    );
    const m = await until("the go button", async () =>
      (await messages(chat)).find((x) => x.reply_markup),
    );
    const pressedAt = Date.now();
    await press(chat, m.message_id, undefined, 5_000_000 + i);
    const started = await until("write_row to start", async () => {
      const s = await status("telegram_go_button", `g${i}`);
      const t = s.task_instances.find((x) => x.task_id === "write_row");
      return t?.start_date ? Date.parse(t.start_date) : undefined;
    });
    goButton.push(started - pressedAt);
  }

  // Park N requests, each in its own group.
  const chats = Array.from(
    { length: RUNS },
    (_, i) =>
      sandbox.telegram.createChat({ type: "supergroup", title: `ask ${i}` }).id,
  );
  const parkStart = Date.now();
  await pool(chats, CONCURRENCY, (chat, i) =>
    ingress.send(
      { service: "telegram_approval", handler: "run", key: `a${i}` },
      {
        conf: {
          chat_id: String(chat),
          subject: `Release ${i}?`,
          quorum: QUORUM,
        },
      },
    ),
  );
  const asked = await pool(chats, CONCURRENCY, (chat) =>
    until(`the request in chat ${chat}`, async () =>
      (await messages(chat)).find((x) => x.reply_markup),
    ),
  );
  const parkMs = Date.now() - parkStart;
  console.log(
    `\n${RUNS} requests parked in ${(parkMs / 1000).toFixed(1)} s (${((RUNS * 1000) / parkMs).toFixed(0)} runs/s), bench process RSS ${rssMb()} MB`,
  );

  // The burst: every request gets QUORUM presses on its first option, from QUORUM different people.
  type Press = { request: number; voter: number; at: number; id: string };
  const plan = chats.flatMap((chat, request) =>
    Array.from({ length: QUORUM }, (_, voter) => ({ chat, request, voter })),
  );
  // Interleaved: the last voter of each request presses after the others, as people do.
  plan.sort((a, b) => a.voter - b.voter || a.request - b.request);
  const burstStart = Date.now();
  const pressed: Press[] = await pool(
    plan,
    CONCURRENCY,
    async ({ chat, request, voter }) => {
      const m = asked[request]!;
      const data = m.reply_markup?.inline_keyboard[0]?.[0]?.callback_data;
      const at = Date.now();
      const { callback_query_id } = await press(
        chat,
        m.message_id,
        data,
        6_000_000 + request * 10 + voter,
      );
      return { request, voter, at, id: callback_query_id };
    },
  );
  const sentMs = Date.now() - burstStart;
  const answered = await until(
    "every press to be answered",
    () => {
      const all = sandbox.telegram.calls(
        sandbox.telegram.findBot("poekhali_sandbox_bot")?.id ?? 0,
        "answerCallbackQuery",
      );
      const times = new Map(
        all.map((c) => [String(c.params.callback_query_id), c.time]),
      );
      return pressed.every((p) => times.has(p.id)) ? times : undefined;
    },
    900_000,
  );
  const answerMs = pressed.map((p) => answered.get(p.id)! - p.at);
  const lastAnswer = Math.max(...pressed.map((p) => answered.get(p.id)!));
  const burstMs = lastAnswer - burstStart;
  console.log(
    `${pressed.length} presses sent in ${(sentMs / 1000).toFixed(1)} s; all answered after ${(burstMs / 1000).toFixed(1)} s: ` +
      `${((pressed.length * 1000) / burstMs).toFixed(0)} presses/s; press -> answer p50 ${percentile(answerMs, 50)} ms, p99 ${percentile(answerMs, 99)} ms, ` +
      `within Telegram's 15 s: ${((100 * answerMs.filter((x) => x <= 15_000).length) / answerMs.length).toFixed(1)} %`,
  );

  // Deciding press -> record starting, per request.
  const deciding = new Map<number, number>();
  for (const p of pressed)
    deciding.set(p.request, Math.max(deciding.get(p.request) ?? 0, p.at));
  const next = await pool(chats, CONCURRENCY, (_, i) =>
    until(`record of a${i} to start`, async () => {
      const s = await status("telegram_approval", `a${i}`);
      const t = s.task_instances.find((x) => x.task_id === "record");
      return t?.start_date ? Date.parse(t.start_date) : undefined;
    }),
  );
  printComparison(
    `Deciding press -> the run's next task starting (telegram_go_button: ${BASELINE_RUNS} single presses, one at a time; ` +
      `telegram_approval: ${RUNS} requests x quorum ${QUORUM}, in a burst of ${CONCURRENCY} at a time)`,
    {
      "go_button press -> write_row": goButton,
      "approval 3rd press -> record": next.map(
        (start, i) => start - deciding.get(i)!,
      ),
    },
  );
  // Every decision becomes one row; the writer keeps to Airtable's 5 requests/s per base.
  const hitlRows = () =>
    sandbox.airtable
      .records(airtable.base_id, airtable.table)
      .filter((r) => String(r.fields.event_type).startsWith("hitl:"));
  const rowsFrom = Math.min(...next);
  await until(
    "every row",
    () => (hitlRows().length >= RUNS ? true : undefined),
    900_000,
  );
  const rows = hitlRows();
  const lastRow = Math.max(...rows.map((r) => Date.parse(r.createdTime)));
  const runs = new Set(rows.map((r) => String(r.fields.chat_id)));
  console.log(
    `  rows: ${rows.length} for ${RUNS} requests, one per chat: ${rows.length === RUNS && runs.size === RUNS ? "exact" : "NOT exact"}; ` +
      `${((rows.length * 1000) / Math.max(1, lastRow - rowsFrom)).toFixed(1)} rows/s from the first record starting`,
  );
} finally {
  await worker.stop();
  await stack.stop();
  await sandbox.close();
}
