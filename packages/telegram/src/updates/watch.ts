/** The Restate virtual object that matches presses to waiting sensors, one key per button (see `buttonKey`). */
export const ROUTER_NAME = "telegram_router";

/** A sensor's registration with the router of its button. */
export interface Watch {
  /** The message the run watches; a press on another message with the same button is a stray copy's. */
  readonly message_id: number;
  /** The awakeable to resolve with the accepted press. */
  readonly trigger_id: string;
  readonly allowed_usernames: string[] | null;
  /** Users allowed by id; with usernames, a presser matching either list is allowed. */
  readonly allowed_user_ids?: number[] | null;
  readonly answer_text: string;
  /** Remove the keyboard on the accepted press; absent means yes. */
  readonly hide_keyboard?: boolean;
  /** When the sensor stops waiting (ISO 8601); a press received later is answered as expired. */
  readonly expires_at?: string | null;
}

/** Why a run stopped waiting for its button without taking a press. */
export type CloseReason = "timeout" | "cancelled" | "failed";

/** A sensor's word that it no longer waits: the router answers later presses so, and tidies the message. */
export interface Close {
  readonly reason: CloseReason;
  /** The message whose button to tidy (known even when the sensor never got to register its watch). */
  readonly message_id: number;
  /** What the message becomes: `expire` edits its text to `text` and drops the button, `remove_keyboard` only drops it, `keep` leaves it. */
  readonly action: "expire" | "remove_keyboard" | "keep";
  readonly text?: string | null;
}
