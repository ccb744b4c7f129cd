import type { ServerResponse } from "node:http";
import {
  ControlApiError,
  EmulatorUsageError,
  RequestBodyError,
  TelegramApiError,
} from "../errors.js";
import { sendJson } from "../http/respond.js";

/** Answers a refusal as Telegram does (`{ok: false, error_code, description, parameters?}`), or as the control API does; returns false for errors that are bugs. */
export function sendTelegramError(
  res: ServerResponse,
  error: unknown,
  control: boolean,
): boolean {
  if (error instanceof ControlApiError) {
    sendJson(res, error.status, { ok: false, description: error.description });
  } else if (error instanceof EmulatorUsageError && control) {
    sendJson(res, 400, { ok: false, description: error.message });
  } else if (error instanceof TelegramApiError) {
    sendJson(res, error.errorCode, {
      ok: false,
      error_code: error.errorCode,
      description: error.description,
      ...(error.parameters === undefined
        ? {}
        : { parameters: error.parameters }),
    });
  } else if (error instanceof RequestBodyError) {
    const status = error.reason === "too_large" ? 413 : 400;
    const description =
      status === 413
        ? "Request Entity Too Large"
        : `Bad Request: ${error.message}`;
    sendJson(
      res,
      status,
      control
        ? { ok: false, description }
        : { ok: false, error_code: status, description },
    );
  } else {
    return false;
  }
  return true;
}
