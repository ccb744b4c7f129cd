import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, eventually } from "./harness.js";
import { startIngestStack, type IngestStack } from "./telegram-ingest-stack.js";

const ROOT = new URL("..", import.meta.url).pathname;
/** A stalled poller process wakes once this file exists. */
const stallFile = join(mkdtempSync(join(tmpdir(), "poekhali-stall-")), "wake");

/** A poller process as every worker runs one; `output()` is everything it printed. */
interface PollerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
}

describe("pollers in several worker processes", () => {
  let stack: IngestStack;
  const all: PollerProcess[] = [];

  async function poller(
    name: string,
    options: {
      freezeAfterHandover?: boolean;
      pollTimeoutSeconds?: number;
    } = {},
  ): Promise<PollerProcess> {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "e2e/telegram-ingest-poller-process.ts"],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          BOT_TOKEN: stack.bot.token,
          TELEGRAM_API_ROOT: stack.telegram.apiRoot,
          INGRESS_URL: stack.server.ingressUrl,
          WORKER_ID: name,
          LEASE_MS: "3000",
          FREEZE_AFTER_HANDOVER: options.freezeAfterHandover ? "1" : "0",
          STALL_UNTIL_FILE: stallFile,
          POLL_TIMEOUT_SECONDS: String(options.pollTimeoutSeconds ?? 5),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    const p = { name, child, output: () => out };
    all.push(p);
    await eventually(`${name} to start`, () => out.includes("READY"), 60_000);
    return p;
  }

  async function kill(p: PollerProcess): Promise<void> {
    p.child.kill("SIGKILL");
    await eventually(
      `${p.name} to be gone`,
      () => p.child.signalCode === "SIGKILL",
    );
  }

  const polls = (p: PollerProcess) =>
    p.output().includes(`polling bot ${stack.bot.id} as ${p.name}`);

  beforeAll(async () => {
    stack = await startIngestStack();
    await stack.deployMessages();
  });
  afterAll(async () => {
    for (const p of all)
      if (p.child.pid && alive(p.child.pid)) p.child.kill("SIGKILL");
    await stack?.stop();
  });

  it("has one poller between two workers, and the other takes over when the poller is SIGKILLed mid-poll", async () => {
    const [a, b] = await Promise.all([poller("worker-a"), poller("worker-b")]);
    const holder = await eventually("one worker to poll", () =>
      [a, b].find(polls),
    );
    const standby = holder === a ? b : a;
    await eventually("the other to stand by", () =>
      standby
        .output()
        .includes(`polled by ${holder.name}; this worker stands by`),
    );
    const first = stack.post("one");
    await eventually("the first message to be handed over", async () =>
      (await stack.seen()).some((e) => e.update_id === first),
    );

    // The poll in flight is held by Telegram; a message comes while it is held, and the poller dies.
    await stack.hold("getUpdates", 60_000);
    await eventually(
      "the poller's next poll to be held",
      async () => (await stack.faults()).length === 0,
    );
    const second = stack.post("two");
    await kill(holder);

    await eventually(
      "the standby worker to take the lease",
      () => polls(standby),
      15_000,
    );
    await eventually(
      "the second message to be handed over",
      async () => (await stack.seen()).some((e) => e.update_id === second),
      30_000,
    );
    await eventually(
      "Telegram to have no update left",
      async () => (await stack.pending()) === 0,
    );
    const seen = await stack.seen();
    expect(seen.map((e) => e.text)).toEqual(["one", "two"]);
    expect(seen[1]).toMatchObject({
      bot_id: stack.bot.id,
      chat_id: String(stack.chat.id),
      from: { id: stack.user.id, username: "anna", first_name: "Анна" },
      text: "two",
      reply_to_message_id: null,
    });
    // Polling never overlapped: Telegram answered no getUpdates with 409.
    expect(
      stack.telegram
        .calls(stack.bot.id, "getUpdates")
        .filter((c) => c.error_code === 409),
    ).toEqual([]);
    await kill(standby);
  });

  it("neither loses nor doubles an update when the poller is SIGKILLed after Restate took it, before confirming it", async () => {
    const freezing = await poller("worker-c", { freezeAfterHandover: true });
    await eventually(
      "worker-c to take the lease",
      () => polls(freezing),
      15_000,
    );
    const before = (await stack.seen()).length;
    const id = stack.post("three");
    await eventually("worker-c to hand the update over", () =>
      freezing.output().includes(`HANDED ${id}`),
    );
    await kill(freezing);
    // Not confirmed at Telegram: the offset never moved past it.
    expect(await stack.pending()).toBe(1);

    const healthy = await poller("worker-d");
    await eventually(
      "worker-d to take the lease",
      () => polls(healthy),
      15_000,
    );
    await eventually(
      "Telegram to have no update left",
      async () => (await stack.pending()) === 0,
      30_000,
    );
    const seen = await stack.seen();
    expect(seen.slice(before).map((e) => e.update_id)).toEqual([id]);
    for (const p of all) expect(p.output()).not.toContain(stack.bot.token);
  });

  it("sends no getUpdates once its lease is over, even when its expiry timer has not fired yet (a stalled holder)", async () => {
    // 1 s long polls: the holder's poll in flight when it stalls ends (empty) before the stand-by takes over, so on
    // waking the holder first sees that answer, before its overdue expiry timer fires.
    // The tests before leave a poller running: this one needs the two it starts alone.
    for (const p of all)
      if (p.child.pid && alive(p.child.pid) && p.child.signalCode === null)
        await kill(p);
    const holder = await poller("stalled", { pollTimeoutSeconds: 1 });
    await eventually("the holder to poll", () => polls(holder), 30_000);
    const standBy = await poller("stand-by-late", { pollTimeoutSeconds: 1 });
    await eventually(
      "the stand-by to stand by",
      () => standBy.output().includes("this worker stands by"),
      30_000,
    );
    holder.child.kill("SIGUSR2");
    try {
      await eventually(
        "the stand-by to take over",
        () => polls(standBy),
        30_000,
      );
      // The stand-by's long poll waits at Telegram (the holder sends none while it stalls) when the holder wakes.
      const before = stack.telegram.calls(stack.bot.id, "getUpdates").length;
      await eventually(
        "the stand-by to long-poll",
        () => stack.telegram.calls(stack.bot.id, "getUpdates").length > before,
        30_000,
      );
    } finally {
      writeFileSync(stallFile, "");
    }
    await eventually(
      "the holder to stop polling",
      () => holder.output().includes(`stopped polling bot ${stack.bot.id}`),
      30_000,
    );
    // Three more of the stand-by's 1 s polls: a getUpdates the holder sent on resuming would have ended one with 409.
    const calls = stack.telegram.calls(stack.bot.id, "getUpdates").length;
    await eventually(
      "the stand-by to poll on",
      () =>
        stack.telegram.calls(stack.bot.id, "getUpdates").length >= calls + 3,
      30_000,
    );
    console.log(
      "HOLDER<<" + holder.output() + ">>STANDBY<<" + standBy.output() + ">>",
    );
    expect(holder.output()).not.toContain("Telegram refused getUpdates");
    expect(standBy.output()).not.toContain("Telegram refused getUpdates");
    await kill(holder);
    await kill(standBy);
  }, 120_000);
});
