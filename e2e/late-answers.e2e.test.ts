import { describe, expect, it } from "vitest";
import { eventually, postJson, type AppUnderTest } from "./harness.js";
import {
  runState,
  sensorsParked,
  trigger,
  withSandboxApp,
  type SandboxHelpers,
} from "./sandbox.js";

const ANNA = { id: 43_001, username: "anna_late", first_name: "Анна" };
const BORIS = { id: 43_002, username: "boris_late", first_name: "Борис" };

/** A press whose run cannot answer it within Telegram's window still gets an answer, and is still taken once. */
describe("late answers", () => {
  let app: AppUnderTest;
  let sandbox: SandboxHelpers;
  withSandboxApp((a, s) => ((app = a), (sandbox = s)));

  const botId = () => sandbox.info.telegram.token.split(":")[0];
  const answerCalls = async (id: string) => {
    const res = await fetch(
      `${sandbox.info.telegram.api_root}/_emulator/bots/${botId()}/calls?method=answerCallbackQuery`,
    );
    const body = (await res.json()) as {
      result: {
        params: { callback_query_id?: string };
        ok?: boolean;
        error_code?: number;
      }[];
    };
    return body.result
      .filter((c) => c.params.callback_query_id === id)
      .map((c) =>
        c.ok === undefined ? "running" : c.ok ? 200 : (c.error_code ?? 0),
      );
  };

  it("answers «Нажатие получено» when the router's answer hangs, takes the press once, and leaves a press the router answered alone", async () => {
    const quick = await trigger(app, { conf: { text: "Быстро" } });
    const slow = await trigger(app, { conf: { text: "Медленно" } });
    const quickMessage = await sandbox.messageWithButton("Быстро");
    const slowMessage = await sandbox.messageWithButton("Медленно");
    await sensorsParked(app, [quick, slow], 30_000);

    const first = await sandbox.press(quickMessage.message_id, ANNA);
    const firstId = first.body.callback_query_id;
    expect(
      await eventually(
        "the router to answer the first press",
        async () => (await sandbox.callbackAnswer(firstId))?.text,
      ),
    ).toBe("Поехали!");

    // Telegram holds the router's next answer for 20 s, past the 15 s in which it takes one.
    expect(
      (
        await postJson(
          `${sandbox.info.telegram.api_root}/_emulator/bots/${botId()}/faults`,
          { method: "answerCallbackQuery", delay_ms: 20_000 },
        )
      ).status,
    ).toBe(200);
    const pressedAt = Date.now();
    const second = await sandbox.press(slowMessage.message_id, BORIS);
    const secondId = second.body.callback_query_id;
    const answer = await eventually(
      "the held press to be answered",
      async () => (await sandbox.callbackAnswer(secondId)) ?? undefined,
      30_000,
    );
    const answeredAt = Date.now();
    expect(answer.text).toBe("Нажатие получено");
    expect(answeredAt - pressedAt).toBeLessThan(15_000);

    // The press is still the run's: taken once, written once, its button gone.
    expect(await runState(app, slow, ["success", "failed"])).toBe("success");
    expect(await runState(app, quick, ["success", "failed"])).toBe("success");
    const rows = await sandbox.rows();
    expect(
      rows.filter((r) => r.fields.username === BORIS.username),
    ).toHaveLength(1);
    expect(
      (await sandbox.messages()).find(
        (m) => m.message_id === slowMessage.message_id,
      )?.reply_markup,
    ).toBeUndefined();
    // The router's own answer came after the late one and was refused: one toast. The first press, answered by
    // its router within the delay, got no late answer (its late answer fell due before the second's).
    // Calls are listed as they arrived: the router's (held, then refused), then the late answer.
    await eventually(
      "the router's held answer to be refused",
      async () => !(await answerCalls(secondId)).includes("running"),
      30_000,
    );
    expect(await answerCalls(secondId)).toEqual([400, 200]);
    expect(await answerCalls(firstId)).toEqual([200]);
    expect(app.output()).toMatch(
      /answered 1 press\(es\) with «Нажатие получено»/,
    );
  });
});
