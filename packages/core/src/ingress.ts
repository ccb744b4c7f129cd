import { PoekhaliError } from "./errors.js";
import { signedIngressFetch } from "./ingress-signature.js";
import type { Json } from "./json.js";

/** Restate refused or could not take a request sent to its ingress. */
export class IngressError extends PoekhaliError {
  override name = "IngressError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Where a request goes: a service, virtual object or workflow handler. */
export interface IngressTarget {
  readonly service: string;
  readonly handler: string;
  readonly key?: string;
}

/** What Restate answers when it accepts a one-way send. */
export interface SendAccepted {
  readonly invocationId: string;
  /** `PreviouslyAccepted` when the idempotency key or workflow key was seen before. */
  readonly status: "Accepted" | "PreviouslyAccepted";
}

/**
 * A small client of Restate's HTTP ingress, for code outside a handler (ingesters, the REST API). Its requests are
 * signed with POEKHALI_INTERNAL_KEY when the process has one (see `signedIngressFetch`).
 */
export class RestateIngress {
  readonly #fetch: typeof fetch;
  constructor(readonly url: string) {
    this.#fetch = signedIngressFetch(url);
  }

  /**
   * Hands a request to Restate and returns once Restate has durably accepted it. Aborted by `signal`, it rejects at
   * once; Restate may or may not have taken the request (send it again with the same idempotency key to be sure).
   */
  async send(
    target: IngressTarget,
    payload: Json,
    options: { idempotencyKey?: string; signal?: AbortSignal } = {},
  ): Promise<SendAccepted> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
    };
    if (options.idempotencyKey)
      headers["idempotency-key"] = options.idempotencyKey;
    const res = await this.#fetch(`${this.#path(target)}/send`, {
      method: "POST",
      headers,
      body: JSON.stringify(payload),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!res.ok) throw await this.#error(res, target);
    return (await res.json()) as SendAccepted;
  }

  /** Calls a handler and waits for its answer, or until `signal` aborts the wait. */
  async call<T>(
    target: IngressTarget,
    payload?: Json,
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    const init: RequestInit = { method: "POST" };
    if (options.signal) init.signal = options.signal;
    if (payload !== undefined) {
      init.headers = { "content-type": "application/json" };
      init.body = JSON.stringify(payload);
    }
    const res = await this.#fetch(this.#path(target), init);
    if (!res.ok) throw await this.#error(res, target);
    const text = await res.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  /**
   * Waits for the answer of an invocation sent earlier (see {@link send}; with an idempotency key, Restate keeps it
   * after it ends), or until `signal` aborts the wait.
   */
  async attach<T>(
    invocationId: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    const res = await fetch(
      `${this.url}/restate/invocation/${encodeURIComponent(invocationId)}/attach`,
      options.signal ? { signal: options.signal } : {},
    );
    if (!res.ok)
      throw await this.#error(res, {
        service: "restate/invocation",
        handler: `${invocationId}/attach`,
      });
    const text = await res.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  #path(target: IngressTarget): string {
    const key =
      target.key === undefined ? "" : `/${encodeURIComponent(target.key)}`;
    return `${this.url}/${target.service}${key}/${target.handler}`;
  }

  async #error(res: Response, target: IngressTarget): Promise<IngressError> {
    const body = await res.text().catch(() => "");
    let message = body;
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      // not JSON: keep the text
    }
    return new IngressError(
      res.status,
      `Restate answered ${res.status} to ${target.service}/${target.handler}: ${message}`,
    );
  }
}
