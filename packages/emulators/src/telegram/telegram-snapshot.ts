import { z } from "zod";
import type { StateFile } from "../state/state-file.js";
import { CallLog } from "./call-log.js";
import { FaultPlan } from "./fault-plan.js";
import type {
  BotRecord,
  CallbackRecord,
  StoredMessage,
  TelegramState,
} from "./telegram-state.js";
import { UpdateQueue } from "./update-queue.js";
import type { QueueSnapshot } from "./update-queue.js";
import type { TgChat, TgUser } from "./wire-types.js";

/** The Telegram emulator's state as its state file holds it; calls and pending faults are not kept. */
export interface TelegramSnapshot {
  version: 1;
  counters: TelegramState["counters"];
  bots: {
    user: BotRecord["user"];
    token: string;
    webhook?: BotRecord["webhook"];
    queue: QueueSnapshot;
  }[];
  chats: {
    chat: TgChat;
    instance: string;
    nextMessageId: number;
    messages: StoredMessage[];
  }[];
  users: TgUser[];
  callbacks: CallbackRecord[];
}

// The file is the emulator's own output: check its frame, and trust the wire objects inside as it wrote them.
const wire = <T>() => z.custom<T>((v) => typeof v === "object" && v !== null);
const snapshotSchema = z.object({
  version: z.literal(1),
  counters: z.object({
    bot: z.number(),
    user: z.number(),
    group: z.number(),
    supergroup: z.number(),
  }),
  bots: z.array(
    z.object({
      user: wire<BotRecord["user"]>(),
      token: z.string(),
      webhook: wire<NonNullable<BotRecord["webhook"]>>().optional(),
      queue: z.object({
        nextUpdateId: z.number(),
        updates: z.array(wire<QueueSnapshot["updates"][number]>()),
        allowedUpdates: z.array(z.string()).optional(),
      }),
    }),
  ),
  chats: z.array(
    z.object({
      chat: wire<TgChat>(),
      instance: z.string(),
      nextMessageId: z.number(),
      messages: z.array(wire<StoredMessage>()),
    }),
  ),
  users: z.array(wire<TgUser>()),
  callbacks: z.array(wire<CallbackRecord>()),
});

/** Describes the state for its state file. */
export function snapshotTelegram(state: TelegramState): TelegramSnapshot {
  return {
    version: 1,
    counters: state.counters,
    bots: [...state.bots.values()].map((bot) => ({
      user: bot.user,
      token: bot.token,
      ...(bot.webhook === undefined ? {} : { webhook: bot.webhook }),
      queue: bot.queue.snapshot(),
    })),
    chats: [...state.chats.values()].map((chat) => ({
      chat: chat.chat,
      instance: chat.instance,
      nextMessageId: chat.nextMessageId,
      messages: [...chat.messages.values()],
    })),
    users: [...state.users.values()],
    callbacks: [...state.callbacks.values()],
  };
}

/** Fills an empty state from its state file, if there is one; returns whether there was. */
export function restoreTelegram(
  state: TelegramState,
  file: StateFile,
): boolean {
  const snapshot = file.load(snapshotSchema);
  if (snapshot === undefined) return false;
  Object.assign(state.counters, snapshot.counters);
  for (const saved of snapshot.bots) {
    const queue = new UpdateQueue(state.now, saved.queue.nextUpdateId);
    queue.restore({
      nextUpdateId: saved.queue.nextUpdateId,
      updates: saved.queue.updates,
      ...(saved.queue.allowedUpdates === undefined
        ? {}
        : { allowedUpdates: saved.queue.allowedUpdates }),
    });
    state.registerBot({
      user: saved.user,
      token: saved.token,
      queue,
      calls: new CallLog(),
      faults: new FaultPlan(),
      ...(saved.webhook === undefined ? {} : { webhook: saved.webhook }),
    });
  }
  for (const saved of snapshot.chats) {
    state.chats.set(saved.chat.id, {
      chat: saved.chat,
      instance: saved.instance,
      nextMessageId: saved.nextMessageId,
      messages: new Map(
        saved.messages.map((stored) => [stored.message.message_id, stored]),
      ),
    });
  }
  for (const user of snapshot.users) state.users.set(user.id, user);
  for (const callback of snapshot.callbacks)
    state.callbacks.set(callback.id, callback);
  return true;
}
