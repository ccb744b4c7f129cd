import { CommandFailed } from "./usage-error.js";

/** The REST API of a running `poekhali up`, as the CLI uses it. */
export class ApiClient {
  constructor(readonly url: string) {}

  /** The API's address: `--url`, else POEKHALI_URL, else the local app on POEKHALI_PORT. */
  static resolve(
    url: string | undefined,
    env: NodeJS.ProcessEnv = process.env,
  ): ApiClient {
    const chosen =
      url ??
      env.POEKHALI_URL ??
      `http://127.0.0.1:${env.POEKHALI_PORT || "8000"}`;
    return new ApiClient(chosen.replace(/\/+$/, ""));
  }

  /** GETs or POSTs JSON; a non-2xx answer becomes a {@link CommandFailed} with the API's detail. */
  async request<T>(
    method: "GET" | "POST",
    path: string,
    body?: unknown,
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : {
              headers: { "content-type": "application/json" },
              body: JSON.stringify(body),
            }),
      });
    } catch {
      throw new CommandFailed(
        `could not reach poekhali at ${this.url}: is \`poekhali up\` running? (set --url or POEKHALI_URL)`,
      );
    }
    const parsed = (await res.json().catch(() => null)) as
      (T & { detail?: string; title?: string }) | null;
    if (!res.ok)
      throw new CommandFailed(
        parsed?.detail ??
          parsed?.title ??
          `${method} ${path} answered ${res.status}`,
      );
    return parsed as T;
  }
}
