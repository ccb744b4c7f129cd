/**
 * A set of ids that forgets each one some time after it was added (between `keepMs` and twice that): two
 * generations, the older dropped whole, so it costs nothing per id to forget and stays bounded under any burst.
 *
 * @example
 * const answered = new RecentIds(30_000);
 * answered.add(id);
 * answered.has(id); // true for at least 30 s
 */
export class RecentIds {
  readonly #keepMs: number;
  readonly #now: () => number;
  #current = new Set<string>();
  #previous = new Set<string>();
  #since: number;

  constructor(keepMs: number, now: () => number = () => performance.now()) {
    this.#keepMs = keepMs;
    this.#now = now;
    this.#since = now();
  }

  add(id: string): void {
    this.#turn();
    this.#current.add(id);
  }

  has(id: string): boolean {
    this.#turn();
    return this.#current.has(id) || this.#previous.has(id);
  }

  /** How many ids are remembered now. */
  get size(): number {
    this.#turn();
    return this.#current.size + this.#previous.size;
  }

  #turn(): void {
    const now = this.#now();
    if (now - this.#since < this.#keepMs) return;
    // Everything in `previous` is older than keepMs; after two turns' time, everything is.
    this.#previous =
      now - this.#since < 2 * this.#keepMs ? this.#current : new Set();
    this.#current = new Set();
    this.#since = now;
  }
}
