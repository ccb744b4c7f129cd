/** Where one chaos run stands. */
export type ChaosRunState = "success" | "failed" | "unfinished";

/** What the runs of a chaos test talk to: the web tier's REST API and the Telegram emulator's control API. */
export interface ChaosTarget {
  readonly webUrl: string;
  readonly telegramApiRoot: string;
  readonly chatId: string;
  /** Every run must be final by then (epoch ms). */
  readonly deadline: number;
  readonly log: (line: string) => void;
}

/** The text of run `i`'s message, which tells its button from the others'. */
export const chaosText = (i: number) => `chaos run ${i}`;
/** Run `i`'s fixed id: a retried trigger names it again, so it cannot make a second run. */
export const chaosRunId = (i: number) => `chaos_${i}`;
/** The Telegram username pressing run `i`'s button, by which its row is counted. */
export const chaosUser = (i: number) => `chaos_user_${i}`;

const RUNS_PATH = "/api/v2/dags/telegram_go_button/dagRuns";
/** The router's answer to a press that came before the run was waiting for it: press again. */
const NOT_READY = "Кнопка ещё не готова";
/**
 * The router's answer to a press on a stray copy of the run's message (a send step run again after a kill cut off
 * its result: Telegram posted twice) or on a button no run waits for; the copy's button then goes. A person presses
 * the message that still has its button, and so does the driver.
 */
const STALE = "Эта кнопка больше не работает";
/** How long a press may go unanswered before it is pressed again (a poller's lease runs out after 15 s). */
const PRESS_PATIENCE_MS = 40_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries `attempt` (a web tier or node may be down) until it returns a value or the deadline passes. */
async function until<T>(
  target: ChaosTarget,
  what: string,
  attempt: () => Promise<T | undefined>,
  intervalMs = 500,
): Promise<T | undefined> {
  while (Date.now() < target.deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch {
      // Connection refused or reset while a process is down: try again.
    }
    await sleep(intervalMs);
  }
  target.log(`[chaos] deadline passed waiting for ${what}`);
  return undefined;
}

/** The newest messages of the chat by their text, refreshed by one poller for every run. */
export function messageIndex(target: ChaosTarget) {
  const byText = new Map<string, number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const res = await fetch(
          `${target.telegramApiRoot}/_emulator/chats/${target.chatId}/messages`,
        );
        const { result } = (await res.json()) as {
          result: {
            message_id: number;
            text: string;
            reply_markup?: unknown;
          }[];
        };
        // Only messages that still have their button: a stray copy's is removed once pressed, and the run's
        // message, posted after it, is the one to press.
        const withButton = new Map<string, number>();
        for (const m of result)
          if (m.reply_markup !== undefined)
            withButton.set(m.text, m.message_id);
        byText.clear();
        for (const [text, id] of withButton) byText.set(text, id);
      } catch {
        // The emulator runs in this process; a failed read is retried on the next tick.
      }
      await sleep(500);
    }
  })();
  return {
    /** The id of the newest message showing `text` that still has its button, if any. */
    find: (text: string) => byText.get(text),
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/**
 * Drives run `i` to its end: triggers it with its fixed id (again after a failure: 409 means it exists), presses
 * its button through the emulator (again when told not ready, or unanswered for long), and waits for a final
 * state, each step retried through kills until the deadline.
 */
export async function driveRun(
  target: ChaosTarget,
  messages: ReturnType<typeof messageIndex>,
  i: number,
): Promise<ChaosRunState> {
  const runId = chaosRunId(i);
  const triggered = await until(
    target,
    `run ${runId} to be triggered`,
    async () => {
      const res = await fetch(`${target.webUrl}${RUNS_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          dag_run_id: runId,
          conf: { text: chaosText(i) },
        }),
        signal: AbortSignal.timeout(15_000),
      });
      await res.body?.cancel();
      return res.ok || res.status === 409 ? true : undefined;
    },
  );
  if (!triggered) return "unfinished";

  const posted = await until(target, `run ${runId}'s button`, () =>
    Promise.resolve(messages.find(chaosText(i))),
  );
  if (posted === undefined) return "unfinished";

  let state: ChaosRunState | undefined;
  const final = async () => {
    const res = await fetch(`${target.webUrl}${RUNS_PATH}/${runId}`, {
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const run = (await res.json()) as { state?: string };
    return run.state === "success" || run.state === "failed"
      ? run.state
      : undefined;
  };
  const press = async (messageId: number) => {
    const res = await fetch(`${target.telegramApiRoot}/_emulator/press`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        chat_id: Number(target.chatId),
        message_id: messageId,
        from: {
          id: 50_000 + i,
          username: chaosUser(i),
          first_name: `Chaos ${i}`,
        },
      }),
    });
    // Refused once the run has taken a press and removed the button: then only its state is awaited.
    return res.ok
      ? ((await res.json()) as { callback_query_id: string }).callback_query_id
      : undefined;
  };
  while (Date.now() < target.deadline) {
    state = await final().catch(() => undefined);
    if (state !== undefined) break;
    // Looked up again before each press: a later message may have replaced a stray copy.
    const messageId = messages.find(chaosText(i));
    const pressed =
      messageId === undefined
        ? undefined
        : await press(messageId).catch(() => undefined);
    if (pressed === undefined) {
      await sleep(1_000);
      continue;
    }
    const pressedAt = Date.now();
    // Answered (and not "not ready"), or the run is over; else, after a while, press again.
    for (;;) {
      state = await final().catch(() => undefined);
      if (state !== undefined || Date.now() > target.deadline) break;
      const answer = await fetch(
        `${target.telegramApiRoot}/_emulator/callback_answers/${pressed}`,
      )
        .then((r) => r.json() as Promise<{ result: { text?: string } | null }>)
        .catch(() => ({ result: null }));
      if (answer.result?.text?.startsWith(NOT_READY)) {
        await sleep(1_000);
        break;
      }
      if (answer.result?.text === STALE) {
        target.log(
          `[chaos] run ${runId}: message ${messageId} is a stray copy, pressing the run's own message`,
        );
        await sleep(1_000);
        break;
      }
      if (!answer.result && Date.now() - pressedAt > PRESS_PATIENCE_MS) {
        target.log(
          `[chaos] run ${runId}: press unanswered for ${PRESS_PATIENCE_MS / 1000} s, pressing again`,
        );
        break;
      }
      await sleep(answer.result ? 1_500 : 1_000);
    }
  }
  return state ?? "unfinished";
}
