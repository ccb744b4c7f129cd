import * as restate from "@restatedev/restate-sdk";
import { signCall, verifyCall, type SignedCall } from "@poekhali/core";

/**
 * How far from the worker's clock a signed change's `issued_at` may be. Longer than the web tier's retries of one
 * change (20 s), shorter than the objects' idempotency retention, so a retry either attaches to the first call or
 * still passes, and a captured call replayed later is refused.
 */
export const CHANGE_VALIDITY_MS = 120_000;

/** What every signed change carries beside its own fields: when the web tier signed it (ms since the epoch). */
export interface Issued {
  readonly issued_at: number;
}

/** A change to a web tier object, signed for one handler of one object key. */
export type SignedChange<T> = SignedCall<T & Issued>;

/** What a change is signed for: the object and the handler, so a signature for one handler is refused by another. */
export const changePurpose = (object: string, handler: string): string =>
  `${object}.${handler}`;

/** Signs a change for `object.handler` on the object key `scope`, stamped with the time it was signed. */
export function signChange<T extends object>(
  object: string,
  handler: string,
  scope: string,
  change: T,
  key?: string,
): SignedChange<T> {
  return signCall(
    changePurpose(object, handler),
    scope,
    { ...change, issued_at: Date.now() },
    key,
  );
}

/**
 * Refuses (a terminal 403) a change not signed with this worker's POEKHALI_INTERNAL_KEY for this handler and this
 * object key, or signed further than {@link CHANGE_VALIDITY_MS} from now.
 */
export async function checkChange(
  ctx: Pick<restate.ObjectSharedContext, "key" | "date">,
  object: string,
  handler: string,
  call: SignedChange<unknown>,
): Promise<void> {
  if (!verifyCall(changePurpose(object, handler), ctx.key, call))
    throw new restate.TerminalError(
      `The ${object}.${handler} call was not signed by this deployment's web tier for this key (POEKHALI_INTERNAL_KEY).`,
      { errorCode: 403 },
    );
  const now = await ctx.date.now();
  const issued = call.payload.issued_at;
  if (typeof issued !== "number" || Math.abs(now - issued) > CHANGE_VALIDITY_MS)
    throw new restate.TerminalError(
      `The ${object}.${handler} call was signed at ${typeof issued === "number" ? new Date(issued).toISOString() : "no time"}, ` +
        `more than ${CHANGE_VALIDITY_MS / 1000} s from this worker's clock (${new Date(now).toISOString()}): ` +
        "an old call sent again, or the web tier's and the worker's clocks differ (keep them in sync)",
      { errorCode: 403 },
    );
}

/** The change's own fields, without its stamp. */
export function unstamped<T extends object>(change: T & Issued): T {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { issued_at, ...rest } = change;
  return rest as unknown as T;
}

/**
 * The objects' idempotency retention: a change is sent with an idempotency key, so a retry after an unclear failure
 * attaches to the first call and answers its result instead of doing it again (after another instance's change).
 * Longer than {@link CHANGE_VALIDITY_MS}; kept short, since each change is one row in Restate for that long.
 */
export const CHANGE_IDEMPOTENCY_RETENTION = { minutes: 10 } as const;
