import { z } from "zod";
import { TelegramApiError } from "../errors.js";

const decimal = (value: unknown) =>
  typeof value === "string" && /^-?\d+$/.test(value.trim())
    ? Number(value)
    : value;
const blankToUndefined = (value: unknown) =>
  value === "" || value === null ? undefined : value;
const jsonText = (value: unknown) => {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
};

/** An integer parameter that may arrive as a decimal string (form and query values). */
export const int = (error: string) =>
  z.preprocess(decimal, z.number({ error }).int({ error }));

/** An optional integer parameter that may arrive as a decimal string. */
export const optionalInt = (error: string) =>
  z.preprocess(
    (v) => decimal(blankToUndefined(v)),
    z.number({ error }).int({ error }).optional(),
  );

/** An optional boolean parameter that may arrive as "true"/"false". */
export const optionalBool = z.preprocess(
  (v) =>
    v === "true" || v === "1"
      ? true
      : v === "false" || v === "0"
        ? false
        : blankToUndefined(v),
  z.boolean({ error: "Bad Request: wrong boolean parameter" }).optional(),
);

/** An optional string parameter; numbers are turned into their text, as Telegram does. */
export const optionalString = z.preprocess(
  (v) => (typeof v === "number" ? String(v) : blankToUndefined(v)),
  z.string({ error: "Bad Request: wrong string parameter" }).optional(),
);

/** The `chat_id` parameter: an integer or a string. */
export const chatId = z.preprocess(
  (v) => decimal(blankToUndefined(v)),
  z.union([z.number().int(), z.string().min(1)], {
    error: "Bad Request: chat_id is empty",
  }),
);

/** The `text` parameter of send and edit methods. */
export const text = z.preprocess(
  (v) => (typeof v === "number" ? String(v) : v),
  z.string({ error: "Bad Request: message text is empty" }),
);

/** The `message_id` parameter of edit and delete methods. */
export const messageId = int(
  "Bad Request: message identifier is not specified",
);

/** A list of update kinds (`allowed_updates`), possibly JSON-encoded. */
export const allowedUpdates = z.preprocess(
  (v) => jsonText(blankToUndefined(v)),
  z
    .array(z.string(), { error: "Bad Request: can't parse allowed updates" })
    .optional(),
);

/** Explicit message entities, possibly JSON-encoded. */
export const entities = z.preprocess(
  (v) => jsonText(blankToUndefined(v)),
  z
    .array(
      z.object({
        type: z.string(),
        offset: z.number().int(),
        length: z.number().int(),
        url: z.string().optional(),
        language: z.string().optional(),
      }),
      { error: "Bad Request: can't parse entities JSON object" },
    )
    .optional(),
);

/** Validates method parameters, raising the Bot API's 400 with Telegram's description. */
export function parseParams<T extends z.ZodType>(
  schema: T,
  params: Record<string, unknown>,
): z.infer<T> {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const message = issue?.message ?? "";
  throw new TelegramApiError(
    400,
    message.startsWith("Bad Request:")
      ? message
      : `Bad Request: invalid parameter ${issue?.path.join(".") ?? ""}`,
  );
}

/** The `reply_parameters` object of send methods, possibly JSON-encoded; only replies within the same chat are emulated. */
export const replyParameters = z.preprocess(
  (v) => jsonText(blankToUndefined(v)),
  z
    .object(
      {
        message_id: z.preprocess(decimal, z.number().int()),
        allow_sending_without_reply: optionalBool,
      },
      { error: "Bad Request: can't parse reply parameters JSON object" },
    )
    .optional(),
);
