import type { IncomingMessage, ServerResponse } from "node:http";
import { ControlApiError } from "../errors.js";
import { readJsonBody } from "../http/request-body.js";
import { sendHtml, sendJson } from "../http/respond.js";
import { handleBotControl } from "./bot-control-api.js";
import { chatPage } from "./chat-page.js";
import {
  chatBody,
  parseBody,
  pressBody,
  userBody,
  userFrom,
  userMessageBody,
} from "./control-bodies.js";
import type { StoredMessage, TelegramState } from "./telegram-state.js";
import { postUserMessage } from "./user-messages.js";

/** Serves `/_emulator/*`: bots, faults and calls, chats, users, user messages, presses, callback answers, and the sandbox chat page. */
export async function handleTelegramControl(
  state: TelegramState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const route = `${req.method ?? "GET"} ${url.pathname.replace(/\/+$/, "")}`;
  if (await handleBotControl(state, req, res, url, route)) return;
  let match: RegExpExecArray | null;
  if (route === "POST /_emulator/press") {
    const body = parseBody(pressBody, await readJsonBody(req), "press");
    const result = state.press({
      chatId: body.chat_id,
      messageId: body.message_id,
      from: userFrom(state, body.from),
      ...(body.callback_data === undefined
        ? {}
        : { callbackData: body.callback_data }),
      ...(body.bot_id === undefined ? {} : { botId: body.bot_id }),
    });
    sendJson(res, 200, { ok: true, ...result });
  } else if (route === "POST /_emulator/messages") {
    const body = parseBody(userMessageBody, await readJsonBody(req), "message");
    const posted = postUserMessage(state, {
      chatId: body.chat_id,
      from: userFrom(state, body.from),
      text: body.text,
      ...(body.reply_to_message_id === undefined
        ? {}
        : { replyToMessageId: body.reply_to_message_id }),
      ...(body.bot_id === undefined ? {} : { botId: body.bot_id }),
    });
    sendJson(res, 200, {
      ok: true,
      result: posted.message,
      updates: posted.updates,
    });
  } else if (route === "GET /_emulator/users") {
    sendJson(res, 200, { ok: true, result: [...state.users.values()] });
  } else if (route === "POST /_emulator/users") {
    const body = parseBody(userBody, await readJsonBody(req), "user");
    const user = state.addUser({
      firstName: body.first_name,
      ...(body.id === undefined ? {} : { id: body.id }),
      ...(body.username === undefined ? {} : { username: body.username }),
      ...(body.language_code === undefined
        ? {}
        : { languageCode: body.language_code }),
    });
    sendJson(res, 200, { ok: true, result: user });
  } else if (route === "GET /_emulator/chats") {
    sendJson(res, 200, {
      ok: true,
      result: [...state.chats.values()].map((chat) => chat.chat),
    });
  } else if (route === "POST /_emulator/chats") {
    const body = parseBody(chatBody, await readJsonBody(req), "chat");
    const chat = state.addChat({
      type: body.type,
      ...(body.title === undefined ? {} : { title: body.title }),
      ...(body.id === undefined ? {} : { id: body.id }),
    });
    sendJson(res, 200, { ok: true, result: chat.chat });
  } else if (
    (match = /^GET \/_emulator\/chats\/(-?\d+)\/messages$/.exec(route))
  ) {
    const chat = state.chats.get(Number(match[1]));
    if (chat === undefined) throw new ControlApiError(404, "chat not found");
    sendJson(res, 200, {
      ok: true,
      result: [...chat.messages.values()].map(asAppSeesIt),
    });
  } else if (
    (match = /^GET \/_emulator\/callback_answers\/([^/]+)$/.exec(route))
  ) {
    const query = state.callbacks.get(decodeURIComponent(match[1] ?? ""));
    if (query === undefined)
      throw new ControlApiError(404, "callback query not found");
    sendJson(res, 200, { ok: true, result: query.answer ?? null });
  } else if ((match = /^GET \/_emulator\/ui\/chats\/(-?\d+)$/.exec(route))) {
    const chat = state.chats.get(Number(match[1]));
    if (chat === undefined) throw new ControlApiError(404, "chat not found");
    sendHtml(res, chatPage(chat.chat));
  } else {
    throw new ControlApiError(404, "Not Found");
  }
}

// What a Telegram app sees beyond the Bot API's Message, from MTProto: edit_hide (an edit of the keyboard alone keeps
// edit_date, but apps do not show "edited") and the ForceReply the message came with (apps open a reply to it).
function asAppSeesIt(stored: StoredMessage): unknown {
  return {
    ...stored.message,
    ...(stored.message.edit_date !== undefined && stored.textEdited !== true
      ? { edit_hide: true }
      : {}),
    ...(stored.forceReply === undefined
      ? {}
      : { force_reply: stored.forceReply }),
  };
}
