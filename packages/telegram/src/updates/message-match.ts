import type { MessageEvent } from "./message-event.js";

/**
 * Which messages a text-message sensor waits for, as data: every field given must hold. A predicate travels from
 * the run to the `telegram_messages` object as a journaled one-way message and is kept in that object's state,
 * so it must survive JSON; a function would not (and a serialised function would be code run from state). A
 * regular expression travels as its source and flags.
 */
export type MessageMatch = {
  /** The whole text, exactly. */
  readonly text_equals?: string;
  /** A regular expression's source that the text must match (`RegExp.prototype.test`). */
  readonly text_matches?: string;
  /** Its flags, e.g. "i"; "g" and "y" are dropped, as they would make `test` stateful. */
  readonly text_flags?: string;
  /** Only replies to this message. */
  readonly reply_to_message_id?: number;
  /**
   * Only messages newer than this one (message ids grow within a chat). With it, a message that came before
   * the sensor registered, yet after the run's own message, can still wake the sensor.
   */
  readonly after_message_id?: number;
  /** Only from these users. */
  readonly from_user_ids?: readonly number[];
  /** Only from these @usernames (the @ optional, case-insensitive). */
  readonly from_usernames?: readonly string[];
};

/** The regular expression of a match, or null when it has none; throws a SyntaxError naming a bad one. */
export function matchRegExp(match: MessageMatch): RegExp | null {
  if (match.text_matches === undefined) return null;
  return new RegExp(
    match.text_matches,
    (match.text_flags ?? "").replace(/[gy]/g, ""),
  );
}

/** Whether a message is one the match waits for: a text message that meets every condition given. */
export function matchesMessage(
  match: MessageMatch,
  event: MessageEvent,
): boolean {
  const { text } = event;
  if (text === null) return false;
  if (match.text_equals !== undefined && text !== match.text_equals)
    return false;
  if (
    match.reply_to_message_id !== undefined &&
    event.reply_to_message_id !== match.reply_to_message_id
  )
    return false;
  if (
    match.after_message_id !== undefined &&
    event.message_id <= match.after_message_id
  )
    return false;
  if (
    match.from_user_ids?.length &&
    !match.from_user_ids.includes(event.from.id)
  )
    return false;
  if (match.from_usernames?.length) {
    const name = event.from.username?.toLowerCase();
    if (
      !match.from_usernames.some(
        (u) => u.replace(/^@/, "").toLowerCase() === name,
      )
    )
      return false;
  }
  const regexp = matchRegExp(match);
  return regexp === null || regexp.test(text);
}
