/** The Restate virtual object that matches presses to waiting sensors, one key per message. */
export const ROUTER_NAME = "telegram_router";

/** A sensor's registration with the router of its message. */
export interface Watch {
  readonly nonce: string;
  /** The awakeable to resolve with the accepted press. */
  readonly trigger_id: string;
  readonly allowed_usernames: string[] | null;
  /** Users allowed by id; with usernames, a presser matching either list is allowed. Absent in older watches. */
  readonly allowed_user_ids?: number[] | null;
  readonly answer_text: string;
  /** Remove the keyboard on the accepted press; absent (older watches) means yes. */
  readonly hide_keyboard?: boolean;
  /** When the sensor stops waiting (ISO 8601); a press received later is answered as expired. */
  readonly expires_at?: string | null;
}
