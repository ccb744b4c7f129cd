import { z } from "zod";
import { ControlApiError } from "../errors.js";
import type { TelegramState } from "./telegram-state.js";
import type { TgUser } from "./wire-types.js";

const decimal = (value: unknown) =>
  typeof value === "string" && /^-?\d+$/.test(value.trim())
    ? Number(value)
    : value;
const integer = z.preprocess(decimal, z.number().int());

/** A user in a control request: `{id}` alone names a known test user. */
export const fromBody = z.object({
  id: integer,
  username: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  language_code: z.string().optional(),
});

/** `POST /_emulator/press`. */
export const pressBody = z.object({
  chat_id: integer,
  message_id: integer,
  callback_data: z.string().optional(),
  from: fromBody,
  bot_id: integer.optional(),
});

/** `POST /_emulator/messages`: a test user's text message or reply. */
export const userMessageBody = z.object({
  chat_id: integer,
  from: fromBody,
  text: z.string(),
  reply_to_message_id: integer.optional(),
  bot_id: integer.optional(),
});

/** `POST /_emulator/chats`. */
export const chatBody = z.object({
  type: z.enum(["private", "group", "supergroup"]),
  title: z.string().optional(),
  id: integer.optional(),
});

/** `POST /_emulator/users`. */
export const userBody = z.object({
  id: integer.optional(),
  username: z.string().optional(),
  first_name: z.string().min(1),
  /** The IETF language tag of the user's app language ("ru", "en-US"), as Telegram sends it. */
  language_code: z.string().min(2).optional(),
});

/** `POST /_emulator/bots`. */
export const botBody = z
  .object({
    username: z
      .string()
      .regex(/^[A-Za-z0-9_]{5,32}$/)
      .optional(),
    first_name: z.string().optional(),
  })
  .default({});

/** `POST /_emulator/bots/{bot_id}/faults`: an error code, a delay, or both. */
export const faultBody = z
  .object({
    method: z.string().min(1),
    times: integer.pipe(z.number().min(1)).optional(),
    error_code: integer.pipe(z.number().min(400).max(599)).optional(),
    retry_after: integer.pipe(z.number().min(0)).optional(),
    description: z.string().optional(),
    delay_ms: integer.pipe(z.number().min(0)).optional(),
  })
  .refine(
    (fault) => fault.error_code !== undefined || fault.delay_ms !== undefined,
    {
      message: "give error_code, delay_ms or both",
    },
  );

/** Validates a control request body, raising 400 with the first problem. */
export function parseBody<T extends z.ZodType>(
  schema: T,
  body: unknown,
  what: string,
): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.join(".") ?? "";
  throw new ControlApiError(
    400,
    `invalid ${what}: ${path === "" ? "" : `${path}: `}${issue?.message ?? ""}`,
  );
}

/** Resolves a control request's `from` to a full user, filling in a known test user's names. */
export function userFrom(
  state: TelegramState,
  from: z.infer<typeof fromBody>,
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
  const languageCode = from.language_code ?? known?.language_code;
  if (languageCode !== undefined) user.language_code = languageCode;
  return user;
}
