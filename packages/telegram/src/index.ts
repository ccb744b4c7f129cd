// Hooks
export { TelegramHook, TELEGRAM_API_ROOT, type TelegramHookOptions } from "./hooks/telegram-hook.js";

// Operators
export { SendButtonOperator, type SendButtonArgs, type SendButtonOperatorOptions } from "./operators/send-button-operator.js";

// Sensors
export { ButtonPressSensor, type ButtonPressArgs, type ButtonPressSensorOptions } from "./sensors/button-press-sensor.js";

// Updates: ingestion and routing
export { UpdatePoller, type UpdatePollerOptions } from "./updates/update-poller.js";
export { telegramRouter, type TelegramRouter, type TelegramRouterOptions } from "./updates/router.js";
export { ROUTER_NAME, type Watch } from "./updates/watch.js";
export {
  type SentButton,
  type PressEvent,
  type ButtonPress,
  callbackData,
  nonceOf,
  messageKey,
  displayName,
} from "./updates/press.js";

// Errors
export { TelegramError } from "./errors.js";
