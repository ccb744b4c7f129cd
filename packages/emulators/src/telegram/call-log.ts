/** One Bot API call a bot made, as the control API returns it. */
export interface BotCall {
  /** The method name as the client spelled it in the URL. */
  method: string;
  /** Every parameter, from the query string and the body. */
  params: Record<string, unknown>;
  /** When the call arrived, in milliseconds on the emulator's clock. */
  time: number;
  /** Whether the answer was `ok`; absent while the call is still running (a long poll, a hang). */
  ok?: boolean;
  /** The `error_code` of a refused call. */
  error_code?: number;
}

/** Every call one bot made, in arrival order, with watchers for tests that await a call. */
export class CallLog {
  private calls: BotCall[] = [];
  private watchers: { method: string; resolve: (call: BotCall) => void }[] = [];

  /** Records a call as it arrives and returns the entry to complete once answered. */
  record(call: BotCall): BotCall {
    this.calls.push(call);
    const name = call.method.toLowerCase();
    const ready = this.watchers.filter((watcher) => watcher.method === name);
    this.watchers = this.watchers.filter((watcher) => watcher.method !== name);
    for (const watcher of ready) watcher.resolve(call);
    return call;
  }

  /** Lists the calls, optionally of one method (any case). */
  list(method?: string): BotCall[] {
    const name = method?.toLowerCase();
    return this.calls.filter(
      (call) => name === undefined || call.method.toLowerCase() === name,
    );
  }

  /** Resolves at the next call of a method. */
  whenCalled(method: string): Promise<BotCall> {
    return new Promise((resolve) =>
      this.watchers.push({ method: method.toLowerCase(), resolve }),
    );
  }

  /** Forgets the recorded calls. */
  clear(): void {
    this.calls = [];
  }
}
