import type { IncomingMessage, ServerResponse } from "node:http";
import { TelegramApiError } from "../errors.js";
import { readParams } from "../http/request-body.js";
import { sendJson } from "../http/respond.js";
import type { BotMethod } from "./bot-methods.js";
import { applyFault } from "./fault-plan.js";
import type { TelegramState } from "./telegram-state.js";

/** Serves `/bot{token}/{method}`: checks the token, records the call, fires an injected fault, then runs the method. */
export async function serveBotApi(
  state: TelegramState,
  methods: Record<string, BotMethod>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const match = /^\/bot([^/]*)\/([^/]+)\/?$/.exec(url.pathname);
  if (match === null) throw new TelegramApiError(404, "Not Found");
  const bot = state.botByToken(decodeURIComponent(match[1] ?? ""));
  if (bot === undefined) throw new TelegramApiError(401, "Unauthorized");
  const name = match[2] ?? "";
  const params = await readParams(req, url);
  const call = bot.calls.record({ method: name, params, time: state.now() });
  const aborted = new AbortController();
  res.once("close", () => aborted.abort());
  try {
    const fault = bot.faults.take(name);
    if (fault !== undefined) await applyFault(fault, aborted.signal);
    const method = methods[name.toLowerCase()];
    if (method === undefined) throw new TelegramApiError(404, "Not Found");
    const result: unknown = await method({
      bot,
      params,
      state,
      signal: aborted.signal,
    });
    call.ok = true;
    sendJson(res, 200, { ok: true, result });
  } catch (error) {
    call.ok = false;
    if (error instanceof TelegramApiError) call.error_code = error.errorCode;
    throw error;
  }
}
