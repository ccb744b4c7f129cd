// Hooks
export {
  TelegramHook,
  TELEGRAM_API_ROOT,
  AUTO_RETRY_DEFAULTS,
  type TelegramHookOptions,
  type SendMessage,
  type EditMessage,
} from "./hooks/telegram-hook.js";
export {
  SendLimiter,
  TELEGRAM_SEND_LIMITS,
  type SendLimits,
  type LimiterClock,
} from "./hooks/send-limiter.js";

// Operators
export {
  SendButtonOperator,
  type SendButtonArgs,
  type SendButtonOperatorOptions,
} from "./operators/send-button-operator.js";
export {
  SendMessageOperator,
  type SendMessageArgs,
  type SendMessageOperatorOptions,
} from "./operators/send-message-operator.js";
export {
  SendKeyboardOperator,
  type SendKeyboardArgs,
  type SendKeyboardOperatorOptions,
} from "./operators/send-keyboard-operator.js";
export {
  EditMessageOperator,
  type EditMessageArgs,
  type EditMessageOperatorOptions,
  type EditedMessage,
} from "./operators/edit-message-operator.js";
export { type SentMessage, sentMessage } from "./operators/sent-message.js";

// People in the loop: a HITL task's request put to a chat
export {
  telegramChannel,
  type TelegramChannelOptions,
  type TelegramChannelSettings,
} from "./hitl/telegram-channel.js";
export {
  TELEGRAM_HITL_NAME,
  hitlKey,
  hitlNonce,
  hitlCallbackData,
  parseHitlCallbackData,
} from "./hitl/hitl-callback.js";
export {
  telegramHitl,
  TELEGRAM_HITL,
  type TelegramHitlObject,
  type TelegramHitlOptions,
} from "./hitl/telegram-hitl.js";
export { type PressOutcome } from "./hitl/hitl-event-log.js";
export {
  tally,
  type Votes,
  type Voter,
  type VoteRule,
} from "./hitl/hitl-votes.js";
export type { PostedRequest } from "./hitl/hitl-state.js";
export {
  HITL_TEXTS,
  decisionLine,
  languageOf,
  type HitlLanguage,
} from "./hitl/hitl-texts.js";

// Sensors
export {
  ButtonPressSensor,
  type ButtonPressArgs,
  type ButtonPressSensorOptions,
} from "./sensors/button-press-sensor.js";
export {
  TextMessageSensor,
  type TextMessageArgs,
  type TextMessageSensorOptions,
  messageMatch,
} from "./sensors/text-message-sensor.js";

// As tasks of Airflow's TypeScript SDK: `dag.task("send_button", sendButton())`
export {
  sendButton,
  waitForButtonPress,
  type ButtonPressTaskArgs,
  type TelegramTaskOptions,
} from "./airflow/telegram-tasks.js";
export { inTelegram } from "./airflow/in-telegram.js";

// Updates: ingestion and routing
export {
  UpdatePoller,
  MAX_RENEWALS_IN_FLIGHT,
  MAX_RENEWALS_QUEUED,
  type UpdatePollerOptions,
} from "./updates/update-poller.js";
export {
  pollLease,
  POLL_LEASE_NAME,
  PollLeaseClient,
  leaseHolder,
  newLeaseNonce,
  type PollLeaseObject,
  type Lease,
  type LeaseAnswer,
  type LeaseAsk,
  type SentAsk,
} from "./updates/poll-lease.js";
export {
  WebhookSettings,
  SECRET_HEADER,
  newWebhookSecret,
  secretMatches,
} from "./updates/webhook-settings.js";
export {
  handOverUpdate,
  prepareUpdate,
  updateIdempotencyKey,
  DEFAULT_ALLOWED_UPDATES,
  INGESTED_UPDATES,
  type IncomingUpdate,
  type IngestedUpdateType,
  type PreparedUpdate,
  type HandOverTo,
} from "./updates/hand-over.js";
export {
  LateAnswers,
  LATE_ANSWER_AFTER_MS,
  LATE_ANSWER_TEXT,
  type LateAnswersOptions,
  type LateAnswerCounts,
} from "./updates/late-answers.js";
export {
  handOverUpdates,
  HAND_OVER_CONCURRENCY,
  type BatchHandOver,
} from "./updates/hand-over-batch.js";
export {
  updateRelay,
  relayUpdates,
  UPDATE_RELAY_NAME,
  type UpdateRelay,
  type RelayedUpdate,
  type RelayedBatch,
} from "./updates/update-relay.js";
export { ReceptionClock } from "./updates/reception-clock.js";
export {
  MESSAGES_NAME,
  chatKey,
  messageSigningText,
  type MessageEvent,
  type SignedMessageEvent,
} from "./updates/message-event.js";
export {
  telegramRouter,
  type TelegramRouter,
  type TelegramRouterOptions,
} from "./updates/router.js";
export { ROUTER_NAME, type Watch } from "./updates/watch.js";
export {
  telegramMessages,
  receivedMessage,
  type TelegramMessages,
  type TelegramMessagesOptions,
  type MessageWatch,
  type ReceivedMessage,
  type WatchedMessage,
} from "./updates/message-watch.js";
export {
  type MessageMatch,
  matchesMessage,
  matchRegExp,
} from "./updates/message-match.js";
export {
  type SentButton,
  type PressEvent,
  type ButtonPress,
  callbackData,
  nonceOf,
  buttonKey,
  buttonRef,
  pressKey,
  pressSigningText,
  displayName,
} from "./updates/press.js";

// Errors
export { TelegramError } from "./errors.js";
