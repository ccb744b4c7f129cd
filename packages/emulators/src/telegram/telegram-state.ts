import {
  ControlApiError,
  EmulatorUsageError,
  TelegramApiError,
} from "../errors.js";
import {
  makeBotToken,
  makeCallbackQueryId,
  makeChatInstance,
} from "./telegram-ids.js";
import { findCallbackButton } from "./inline-keyboard.js";
import { CallLog } from "./call-log.js";
import { FaultPlan } from "./fault-plan.js";
import { UpdateQueue } from "./update-queue.js";
import type {
  TgChat,
  TgForceReply,
  TgInlineKeyboardMarkup,
  TgMessage,
  TgMessageEntity,
  TgUser,
} from "./wire-types.js";

/** A bot known to the emulator, with its update queue, webhook, recorded calls and pending faults. */
export interface BotRecord {
  user: TgUser & { is_bot: true; username: string };
  token: string;
  queue: UpdateQueue;
  calls: CallLog;
  faults: FaultPlan;
  webhook?: {
    url: string;
    secretToken?: string;
    lastErrorDate?: number;
    lastErrorMessage?: string;
  };
}

/** A message in a chat: `botId` names the bot that sent it (absent for a user's message). */
export interface StoredMessage {
  message: TgMessage;
  botId?: number;
  /** Set once the text changed, as opposed to only the keyboard; Telegram apps show "edited" only then. */
  textEdited?: boolean;
  /** The ForceReply the bot sent it with: not in the Bot API's `Message`, but Telegram apps get it. */
  forceReply?: TgForceReply;
}

/** A chat with the messages bots and users sent to it. */
export interface ChatRecord {
  chat: TgChat;
  instance: string;
  nextMessageId: number;
  messages: Map<number, StoredMessage>;
}

/** A callback query and the bot's answer to it, if any. */
export interface CallbackRecord {
  id: string;
  botId: number;
  pressedAt: number;
  answer?: {
    text?: string;
    show_alert?: boolean;
    url?: string;
    answered_at: number;
  };
}

/** The emulator's world: bots, chats, users, messages and callback queries. */
export class TelegramState {
  readonly bots = new Map<number, BotRecord>();
  readonly chats = new Map<number, ChatRecord>();
  readonly users = new Map<number, TgUser>();
  readonly callbacks = new Map<string, CallbackRecord>();
  /** The next ids to hand out; kept in a snapshot so that ids are never reused after a restart. */
  readonly counters = {
    bot: 7_000_000_001,
    user: 1_000_001,
    group: 4_000_000_001,
    supergroup: 1_234_567_890,
  };
  private readonly tokens = new Map<string, BotRecord>();

  constructor(
    readonly now: () => number,
    /** How long after a press answerCallbackQuery is accepted, in milliseconds. */
    readonly answerWindowMs = 15_000,
  ) {}

  /** Creates a bot with a fresh token. */
  addBot(options: {
    username?: string;
    firstName?: string;
    firstUpdateId?: number;
  }): BotRecord {
    const id = this.counters.bot++;
    const username = options.username ?? `emulated_${id}_bot`;
    const bot: BotRecord = {
      user: {
        id,
        is_bot: true,
        first_name: options.firstName ?? username,
        username,
      },
      token: makeBotToken(id),
      queue: new UpdateQueue(this.now, options.firstUpdateId ?? 100_000_001),
      calls: new CallLog(),
      faults: new FaultPlan(),
    };
    this.registerBot(bot);
    return bot;
  }

  /** Adds a bot record as it is, such as one read back from a snapshot. */
  registerBot(bot: BotRecord): void {
    this.bots.set(bot.user.id, bot);
    this.tokens.set(bot.token, bot);
  }

  /** Finds the bot that owns a token. */
  botByToken(token: string): BotRecord | undefined {
    return this.tokens.get(token);
  }

  /** Creates a chat; groups get negative ids and supergroups ids starting with -100. */
  addChat(options: {
    type: TgChat["type"];
    title?: string;
    id?: number;
  }): ChatRecord {
    const id = options.id ?? this.nextChatId(options.type);
    if (this.chats.has(id))
      throw new EmulatorUsageError(`chat ${id} already exists`);
    const chat: TgChat =
      options.type === "private"
        ? {
            id,
            type: "private",
            first_name:
              options.title ?? this.users.get(id)?.first_name ?? "User",
          }
        : { id, type: options.type, title: options.title ?? `Chat ${id}` };
    const record: ChatRecord = {
      chat,
      instance: makeChatInstance(),
      nextMessageId: 1,
      messages: new Map(),
    };
    this.chats.set(id, record);
    return record;
  }

  /** Registers a person who can press buttons. */
  addUser(options: {
    id?: number;
    username?: string;
    firstName: string;
    languageCode?: string;
  }): TgUser {
    const id = options.id ?? this.counters.user++;
    if (this.users.has(id))
      throw new EmulatorUsageError(`user ${id} already exists`);
    const user: TgUser = { id, is_bot: false, first_name: options.firstName };
    if (options.username !== undefined) user.username = options.username;
    if (options.languageCode !== undefined)
      user.language_code = options.languageCode;
    this.users.set(id, user);
    return user;
  }

  /** Finds a chat by the chat_id parameter, which may be a number or its decimal string. */
  chatFor(chatId: number | string): ChatRecord {
    const id =
      typeof chatId === "number"
        ? chatId
        : /^-?\d+$/.test(chatId.trim())
          ? Number(chatId)
          : NaN;
    const chat = this.chats.get(id);
    if (chat === undefined)
      throw new TelegramApiError(400, "Bad Request: chat not found");
    return chat;
  }

  /** Stores a bot's new message in a chat. */
  postMessage(
    bot: BotRecord,
    chat: ChatRecord,
    content: {
      text: string;
      entities?: TgMessageEntity[];
      reply_markup?: TgInlineKeyboardMarkup;
      reply_to_message?: TgMessage;
    },
    forceReply?: TgForceReply,
  ): TgMessage {
    const message: TgMessage = {
      message_id: chat.nextMessageId++,
      from: bot.user,
      chat: chat.chat,
      date: Math.floor(this.now() / 1000),
      ...content,
    };
    chat.messages.set(message.message_id, {
      message,
      botId: bot.user.id,
      ...(forceReply === undefined ? {} : { forceReply }),
    });
    return message;
  }

  /** Presses an inline button as a user and queues the callback query for the bot that sent the message. */
  press(input: {
    chatId: number | string;
    messageId: number;
    callbackData?: string;
    from: TgUser;
    botId?: number;
  }): { callback_query_id: string; update_id: number | null } {
    const chat = this.chats.get(Number(input.chatId));
    const stored = chat?.messages.get(input.messageId);
    if (chat === undefined || stored === undefined)
      throw new ControlApiError(404, "message not found");
    if (input.botId !== undefined && input.botId !== stored.botId) {
      throw new ControlApiError(
        400,
        `message ${input.messageId} was not sent by bot ${input.botId}`,
      );
    }
    const button = findCallbackButton(
      stored.message.reply_markup,
      input.callbackData,
    );
    if (button === undefined) {
      throw new ControlApiError(
        400,
        `message shows no button with callback_data ${JSON.stringify(input.callbackData ?? "")}`,
      );
    }
    const bot =
      stored.botId === undefined ? undefined : this.bots.get(stored.botId);
    if (bot === undefined) throw new ControlApiError(404, "bot not found");
    const id = makeCallbackQueryId();
    this.callbacks.set(id, { id, botId: bot.user.id, pressedAt: this.now() });
    const message = structuredClone(stored.message);
    const updateId = bot.queue.push("callback_query", (update_id) => ({
      update_id,
      callback_query: {
        id,
        from: input.from,
        message,
        chat_instance: chat.instance,
        data: button.callback_data ?? "",
      },
    }));
    return { callback_query_id: id, update_id: updateId ?? null };
  }

  private nextChatId(type: TgChat["type"]): number {
    if (type === "private") return this.counters.user++;
    if (type === "group") return -this.counters.group++;
    return -Number(`100${this.counters.supergroup++}`);
  }
}
