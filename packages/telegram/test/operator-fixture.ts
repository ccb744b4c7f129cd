import {
  StaticConnections,
  taskContext,
  type TaskContext,
} from "@poekhali/core";
import { TelegramEmulator } from "@poekhali/emulators";
import { TelegramHook } from "../src/hooks/telegram-hook.js";

/** An emulator with a bot and a supergroup, and a task context whose `telegram_default` points at them. */
export interface OperatorFixture {
  readonly emu: TelegramEmulator;
  readonly bot: { id: number; token: string };
  readonly group: string;
  readonly context: TaskContext;
  readonly hook: TelegramHook;
}

/** Starts the emulator and builds the context an operator test runs `execute` with. */
export async function operatorFixture(
  taskId: string,
): Promise<OperatorFixture> {
  const emu = await TelegramEmulator.start();
  const bot = emu.createBot();
  const group = String(
    emu.createChat({ type: "supergroup", title: `${taskId} tests` }).id,
  );
  const connections = new StaticConnections([
    {
      connId: "telegram_default",
      connType: "telegram",
      host: group,
      password: bot.token,
      extra: { api_root: emu.apiRoot },
    },
  ]);
  const context = taskContext(
    { connections },
    { dagId: "d", runId: "r1", logicalDate: new Date(), params: {} },
    taskId,
    1,
  );
  return {
    emu,
    bot,
    group,
    context,
    hook: TelegramHook.fromConnection(connections.get("telegram_default")),
  };
}

/** A chat's messages as the emulator's control API shows them. */
export async function chatMessages(
  emu: TelegramEmulator,
  chatId: string,
): Promise<{ message_id: number; text: string; reply_markup?: unknown }[]> {
  const res = await fetch(`${emu.apiRoot}/_emulator/chats/${chatId}/messages`);
  return (
    (await res.json()) as {
      result: { message_id: number; text: string; reply_markup?: unknown }[];
    }
  ).result;
}
