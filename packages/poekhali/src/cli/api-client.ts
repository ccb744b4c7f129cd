import { CommandFailed } from "./usage-error.js";

/** The credentials the CLI logs in with, when the app asks for them. */
export interface ApiCredentials {
  readonly username: string;
  readonly password: string;
}

/** The REST API of a running `poekhali up`, as the CLI uses it. */
export class ApiClient {
  #token: Promise<string> | undefined;

  constructor(
    readonly url: string,
    private readonly credentials?: ApiCredentials,
  ) {}

  /**
   * The API's address: `--url`, else POEKHALI_URL, else the local app on POEKHALI_PORT; and the credentials in
   * POEKHALI_AUTH_USERNAME (default `admin`) and POEKHALI_AUTH_PASSWORD, when a password is set.
   */
  static resolve(
    url: string | undefined,
    env: NodeJS.ProcessEnv = process.env,
  ): ApiClient {
    const chosen =
      url ??
      env.POEKHALI_URL ??
      `http://127.0.0.1:${env.POEKHALI_PORT || "8000"}`;
    const password = env.POEKHALI_AUTH_PASSWORD;
    return new ApiClient(
      chosen.replace(/\/+$/, ""),
      password
        ? { username: env.POEKHALI_AUTH_USERNAME?.trim() || "admin", password }
        : undefined,
    );
  }

  /** Sends a request, JSON in and out; a non-2xx answer becomes a {@link CommandFailed} with the API's detail. */
  async request<T>(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    path: string,
    body?: unknown,
  ): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.credentials)
      headers.authorization = `Bearer ${await this.#bearer()}`;
    const res = await this.#fetch(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const parsed = (await res.json().catch(() => null)) as
      (T & { detail?: unknown; title?: string }) | null;
    if (res.status === 401)
      throw new CommandFailed(
        this.credentials
          ? `poekhali at ${this.url} refused the credentials in POEKHALI_AUTH_USERNAME and POEKHALI_AUTH_PASSWORD`
          : `poekhali at ${this.url} asks for credentials: set POEKHALI_AUTH_USERNAME and POEKHALI_AUTH_PASSWORD`,
      );
    if (!res.ok)
      throw new CommandFailed(
        detailText(parsed?.detail) ??
          parsed?.title ??
          `${method} ${path} answered ${res.status}`,
      );
    return parsed as T;
  }

  /** One token per command, from `POST /auth/token` (Airflow's simple auth manager). */
  #bearer(): Promise<string> {
    this.#token ??= (async () => {
      const res = await this.#fetch("/auth/token", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(this.credentials),
      });
      const parsed = (await res.json().catch(() => null)) as {
        access_token?: string;
        detail?: string;
      } | null;
      if (res.status !== 201 || !parsed?.access_token)
        throw new CommandFailed(
          res.status === 401
            ? `poekhali at ${this.url} refused the credentials in POEKHALI_AUTH_USERNAME and POEKHALI_AUTH_PASSWORD`
            : `could not log in to poekhali at ${this.url}: ${parsed?.detail ?? res.status}`,
        );
      return parsed.access_token;
    })();
    return this.#token;
  }

  async #fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, init);
    } catch {
      throw new CommandFailed(
        `could not reach poekhali at ${this.url}: is \`poekhali up\` running? (set --url or POEKHALI_URL)`,
      );
    }
  }
}

/**
 * An API error's `detail` as one line: Airflow 3 answers a string, an object (a conflict names what it is about),
 * or, for a body that fails validation, a list of `{loc, msg}`.
 */
export function detailText(detail: unknown): string | undefined {
  if (detail === undefined || detail === null) return undefined;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail))
    return detail
      .map((d: { loc?: unknown[]; msg?: string }) =>
        [d.loc?.slice(1).join("."), d.msg].filter(Boolean).join(": "),
      )
      .join("; ");
  if (typeof detail === "object") {
    const o = detail as { reason?: unknown; message?: unknown };
    if (typeof o.message === "string") return o.message;
    if (typeof o.reason === "string") return o.reason;
  }
  return JSON.stringify(detail);
}
