/**
 * Schema checks the writer's shared `enqueue` answered from a recent read, counted in this process by base until
 * the writer collects them into its stats. A shared handler cannot write state, and a state write (an exclusive
 * call) per answer would queue every hit behind the writer again; so each is counted here, and the writer's next
 * round takes the count in the step it journals anyway (its claim), at no extra cost. A count not yet collected is
 * lost if the process stops, and a process with no round yet keeps its own: `stats` adds the count of the process
 * that answers it.
 */
export class SchemaHitTally {
  readonly #byBase = new Map<string, number>();

  /** Counts one answer for this base. */
  add(baseId: string): void {
    this.#byBase.set(baseId, (this.#byBase.get(baseId) ?? 0) + 1);
  }

  /** The answers counted for this base and not collected yet; they stay counted. */
  peek(baseId: string): number {
    return this.#byBase.get(baseId) ?? 0;
  }

  /** The answers counted for this base, which the caller now owns (the count starts again from 0). */
  take(baseId: string): number {
    const hits = this.#byBase.get(baseId) ?? 0;
    this.#byBase.delete(baseId);
    return hits;
  }
}
