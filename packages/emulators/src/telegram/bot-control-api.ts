import type { IncomingMessage, ServerResponse } from "node:http";
import { ControlApiError } from "../errors.js";
import { readJsonBody } from "../http/request-body.js";
import { sendJson } from "../http/respond.js";
import { botBody, faultBody, parseBody } from "./control-bodies.js";
import type { TelegramState } from "./telegram-state.js";

/** Serves the bot routes of `/_emulator/`: create bots, read one, inject faults, read calls; returns false for other routes. */
export async function handleBotControl(
  state: TelegramState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  route: string,
): Promise<boolean> {
  if (route === "POST /_emulator/bots") {
    const body = parseBody(botBody, await readJsonBody(req), "bot");
    const bot = state.addBot({
      ...(body.username === undefined ? {} : { username: body.username }),
      ...(body.first_name === undefined ? {} : { firstName: body.first_name }),
    });
    sendJson(res, 200, {
      ok: true,
      result: {
        id: bot.user.id,
        token: bot.token,
        username: bot.user.username,
      },
    });
    return true;
  }
  const match =
    /^(GET|POST|DELETE) \/_emulator\/bots\/(\d+)(\/faults|\/calls)?$/.exec(
      route,
    );
  if (match === null) return false;
  const [, verb, id, part] = match;
  const bot = state.bots.get(Number(id));
  if (bot === undefined) throw new ControlApiError(404, "bot not found");
  const key = `${verb ?? ""} ${part ?? ""}`;
  if (key === "GET ") {
    sendJson(res, 200, {
      ok: true,
      result: {
        ...bot.user,
        pending_update_count: bot.queue.size,
        polling: bot.queue.polling,
        webhook_url: bot.webhook?.url ?? "",
      },
    });
  } else if (key === "POST /faults") {
    const fault = parseBody(faultBody, await readJsonBody(req), "fault");
    bot.faults.add(fault);
    sendJson(res, 200, { ok: true, result: bot.faults.list() });
  } else if (key === "GET /faults") {
    sendJson(res, 200, { ok: true, result: bot.faults.list() });
  } else if (key === "DELETE /faults") {
    bot.faults.clear();
    sendJson(res, 200, { ok: true, result: true });
  } else if (key === "GET /calls") {
    const method = url.searchParams.get("method") ?? undefined;
    sendJson(res, 200, { ok: true, result: bot.calls.list(method) });
  } else if (key === "DELETE /calls") {
    bot.calls.clear();
    sendJson(res, 200, { ok: true, result: true });
  } else {
    throw new ControlApiError(404, "Not Found");
  }
  return true;
}
