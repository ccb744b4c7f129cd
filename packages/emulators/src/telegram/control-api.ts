import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { ControlApiError } from "../errors.js";
import { readJsonBody } from "../http/request-body.js";
import { sendHtml, sendJson } from "../http/respond.js";
import { chatPage } from "./chat-page.js";
import type { TelegramState } from "./telegram-state.js";
import type { TgUser } from "./wire-types.js";

const decimal = (value: unknown) =>
  typeof value === "string" && /^-?\d+$/.test(value.trim())
    ? Number(value)
    : value;
const integer = z.preprocess(decimal, z.number().int());

const pressBody = z.object({
  chat_id: integer,
  message_id: integer,
  callback_data: z.string().optional(),
  from: z.object({
    id: integer,
    username: z.string().optional(),
    first_name: z.string().optional(),
    last_name: z.string().optional(),
    language_code: z.string().optional(),
  }),
  bot_id: integer.optional(),
});

/** Serves `/_emulator/*`: presses, read-back of chats and callback answers, users, and the sandbox chat page. */
export async function handleTelegramControl(
  state: TelegramState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const route = `${req.method ?? "GET"} ${path.replace(/\/+$/, "")}`;
  let match: RegExpExecArray | null;
  if (route === "POST /_emulator/press") {
    const parsed = pressBody.safeParse(await readJsonBody(req));
    if (!parsed.success)
      throw new ControlApiError(
        400,
        `invalid press: ${parsed.error.issues[0]?.message ?? ""}`,
      );
    const body = parsed.data;
    const result = state.press({
      chatId: body.chat_id,
      messageId: body.message_id,
      from: presser(state, body.from),
      ...(body.callback_data === undefined
        ? {}
        : { callbackData: body.callback_data }),
      ...(body.bot_id === undefined ? {} : { botId: body.bot_id }),
    });
    sendJson(res, 200, { ok: true, ...result });
  } else if (route === "GET /_emulator/users") {
    sendJson(res, 200, { ok: true, result: [...state.users.values()] });
  } else if (route === "GET /_emulator/chats") {
    sendJson(res, 200, {
      ok: true,
      result: [...state.chats.values()].map((chat) => chat.chat),
    });
  } else if (
    (match = /^GET \/_emulator\/chats\/(-?\d+)\/messages$/.exec(route))
  ) {
    const chat = state.chats.get(Number(match[1]));
    if (chat === undefined) throw new ControlApiError(404, "chat not found");
    sendJson(res, 200, {
      ok: true,
      result: [...chat.messages.values()].map((stored) => stored.message),
    });
  } else if (
    (match = /^GET \/_emulator\/callback_answers\/([^/]+)$/.exec(route))
  ) {
    const query = state.callbacks.get(decodeURIComponent(match[1] ?? ""));
    if (query === undefined)
      throw new ControlApiError(404, "callback query not found");
    sendJson(res, 200, { ok: true, result: query.answer ?? null });
  } else if ((match = /^GET \/_emulator\/bots\/(\d+)$/.exec(route))) {
    const bot = state.bots.get(Number(match[1]));
    if (bot === undefined) throw new ControlApiError(404, "bot not found");
    sendJson(res, 200, {
      ok: true,
      result: {
        ...bot.user,
        pending_update_count: bot.queue.size,
        polling: bot.queue.polling,
        webhook_url: bot.webhook?.url ?? "",
      },
    });
  } else if ((match = /^GET \/_emulator\/ui\/chats\/(-?\d+)$/.exec(route))) {
    const chat = state.chats.get(Number(match[1]));
    if (chat === undefined) throw new ControlApiError(404, "chat not found");
    sendHtml(res, chatPage(chat.chat));
  } else {
    throw new ControlApiError(404, "Not Found");
  }
}

function presser(
  state: TelegramState,
  from: z.infer<typeof pressBody>["from"],
): TgUser {
  const known = state.users.get(from.id);
  const firstName = from.first_name ?? known?.first_name;
  if (firstName === undefined)
    throw new ControlApiError(
      400,
      "from.first_name is required for an unknown user",
    );
  const user: TgUser = { id: from.id, is_bot: false, first_name: firstName };
  const username = from.username ?? known?.username;
  if (username !== undefined) user.username = username;
  if (from.last_name !== undefined) user.last_name = from.last_name;
  if (from.language_code !== undefined) user.language_code = from.language_code;
  return user;
}
