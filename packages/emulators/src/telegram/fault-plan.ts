import { TelegramApiError } from "../errors.js";

/** A fault to inject into the next calls of one Bot API method: an error, a hang, or a hang then an error. */
export interface TelegramFault {
  /** The method name, any case (`sendMessage`); `*` matches every method. */
  method: string;
  /** How many calls fail; defaults to 1. */
  times?: number;
  /** The error code to answer with, such as 429, 500 or 502; omit for a hang that then answers normally. */
  error_code?: number;
  /** Seconds a 429 tells the client to wait (`parameters.retry_after`); defaults to 1. */
  retry_after?: number;
  /** Replaces the default description, such as `Too Many Requests: retry after 1`. */
  description?: string;
  /** Milliseconds to hold the call before answering. */
  delay_ms?: number;
}

/** A fault with its remaining count, as the control API lists it. */
export type PendingFault = TelegramFault & { times: number };

const DESCRIPTIONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** One bot's pending faults, consumed in the order they were injected. */
export class FaultPlan {
  private faults: PendingFault[] = [];

  /** Adds a fault for the next calls of a method. */
  add(fault: TelegramFault): void {
    this.faults.push({ ...fault, times: fault.times ?? 1 });
  }

  /** Takes one use of the first fault matching a method, if any. */
  take(method: string): PendingFault | undefined {
    const name = method.toLowerCase();
    const fault = this.faults.find(
      (candidate) =>
        candidate.method === "*" || candidate.method.toLowerCase() === name,
    );
    if (fault === undefined) return undefined;
    fault.times -= 1;
    if (fault.times <= 0)
      this.faults = this.faults.filter((kept) => kept !== fault);
    return { ...fault };
  }

  /** Lists the faults still to fire. */
  list(): PendingFault[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  /** Forgets every pending fault. */
  clear(): void {
    this.faults = [];
  }
}

/** Holds a faulted call for its delay (ending early when the caller goes away), then throws its error if it has one. */
export async function applyFault(
  fault: PendingFault,
  signal: AbortSignal,
): Promise<void> {
  if (fault.delay_ms !== undefined && fault.delay_ms > 0)
    await hold(fault.delay_ms, signal);
  const code = fault.error_code;
  if (code === undefined) return;
  if (code === 429) {
    const retryAfter = fault.retry_after ?? 1;
    throw new TelegramApiError(
      429,
      fault.description ?? `Too Many Requests: retry after ${retryAfter}`,
      { retry_after: retryAfter },
    );
  }
  throw new TelegramApiError(
    code,
    fault.description ?? DESCRIPTIONS[code] ?? "Error",
  );
}

function hold(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
