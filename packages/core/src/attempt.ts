import * as restate from "@restatedev/restate-sdk";
import { SkipTask } from "./errors.js";
import type { Json } from "./json.js";

/** A try's result, journaled as its step's value; the times are read inside the step, saving journaled clock reads. */
export type Outcome = (
  | { ok: true; value: Json }
  | {
      ok: false;
      error: string;
      retryable: boolean;
      /** The task said to skip itself (a {@link SkipTask}): it ends skipped, not failed. */
      skipped?: true;
    }
) & {
  started_at: string;
  ended_at: string;
  /** The try's log lines, kept with its result (masked, capped). */
  log: string[];
};

/**
 * Whether another try can help: no for Restate's `TerminalError`, and no for any error that says so itself with
 * `retryable: false` (as grammY-style API errors do for a refusal that the same request would meet again).
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof restate.TerminalError) return false;
  return !(
    typeof error === "object" &&
    error !== null &&
    "retryable" in error &&
    error.retryable === false
  );
}

/** Describes an error for a task note or log line (never with secrets: hooks redact them). */
export function describe(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}

/**
 * Runs one try of a task's work and always returns an {@link Outcome}: failures come back as values so that
 * Airflow's retries, not Restate's, decide what happens next. Past `timeoutMs` the try fails and `signal` aborts.
 */
export async function attempt(
  work: (signal: AbortSignal, log: string[]) => Promise<Json>,
  timeoutMs: number | null,
  onError: (message: string, log: string[]) => void,
  /** Masks secrets in the error before it is journaled and shown. */
  mask: (text: string) => string = (text) => text,
): Promise<Outcome> {
  const log: string[] = [];
  const started_at = new Date().toISOString();
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    const running = work(abort.signal, log);
    const value =
      timeoutMs === null
        ? await running
        : await Promise.race([
            running,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => {
                abort.abort();
                reject(
                  new Error(
                    `the try ran longer than its execution timeout of ${timeoutMs} ms`,
                  ),
                );
              }, timeoutMs);
            }),
          ]);
    return {
      ok: true,
      value: value ?? null,
      started_at,
      ended_at: new Date().toISOString(),
      log,
    };
  } catch (error) {
    const skipped = error instanceof SkipTask;
    const message = mask(skipped ? error.message : describe(error));
    if (!skipped) onError(message, log);
    return {
      ok: false,
      error: message,
      retryable: !skipped && isRetryable(error),
      ...(skipped && { skipped: true as const }),
      started_at,
      ended_at: new Date().toISOString(),
      log,
    };
  } finally {
    clearTimeout(timer);
  }
}
