/**
 * Stamps updates with the time they reached us, never the same millisecond twice in one chat.
 *
 * A press's row in `tg_actions` is identified by what it holds (chat, presser, time), and a CallbackQuery carries
 * no time of its own: two presses stamped alike would be one row. So each chat's stamps strictly increase; a burst
 * (a whole `getUpdates` batch, ten webhook deliveries in one millisecond) is spread over consecutive milliseconds,
 * in the order the updates came, which moves a stamp by at most the burst's size in milliseconds.
 *
 * @example
 * const clock = new ReceptionClock();
 * clock.stamp("-1001"); // "2026-11-27T10:00:00.000Z"
 * clock.stamp("-1001"); // "2026-11-27T10:00:00.001Z", even within the same millisecond
 */
export class ReceptionClock {
  readonly #last = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The next stamp for a chat (ISO 8601 UTC with milliseconds), later than every earlier stamp of that chat. */
  stamp(chatId: string): string {
    const now = this.#now();
    const last = this.#last.get(chatId);
    const at = last === undefined || now > last ? now : last + 1;
    this.#last.set(chatId, at);
    // Chats whose last stamp is in the past need no memory: the clock alone keeps them apart.
    if (this.#last.size > 1_000)
      for (const [chat, stamped] of this.#last)
        if (stamped < now) this.#last.delete(chat);
    return new Date(at).toISOString();
  }
}
