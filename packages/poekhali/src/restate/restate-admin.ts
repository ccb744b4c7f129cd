import { SupervisorError } from "../errors.js";
import { waitFor } from "../wait-for.js";

/** A client of restate-server's admin API: SQL introspection, cancel, purge, deployments. */
export class RestateAdmin {
  constructor(readonly adminUrl: string) {}

  /**
   * Waits until the admin API answers its health check: a role may start before the Restate it uses. Fails naming
   * RESTATE_ADMIN_URL's address after `timeoutMs`.
   */
  async reachable(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `the Restate admin API at ${this.adminUrl}`,
      timeoutMs,
      async () =>
        (await fetch(`${this.adminUrl}/health`).catch(() => null))?.ok === true,
      250,
    ).catch(() => {
      throw new SupervisorError(
        `cannot reach Restate's admin API at ${this.adminUrl} (RESTATE_ADMIN_URL): no healthy answer within ${timeoutMs / 1000} s`,
      );
    });
  }

  /** Runs a SQL query over the admin API (`sys_invocation`, `state`, …), riding out a partition leader change. */
  async query<Row>(sql: string): Promise<Row[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        return await this.queryOnce<Row>(sql);
      } catch (error) {
        const transient =
          error instanceof SupervisorError &&
          /node lookup for partition/.test(error.message);
        if (!transient || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** One SQL query, no retry: fails while the server is still finding its partitions. */
  async queryOnce<Row>(sql: string): Promise<Row[]> {
    const res = await fetch(`${this.adminUrl}/query`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
      },
      body: JSON.stringify({ query: sql }),
    });
    if (!res.ok)
      throw new SupervisorError(
        `Restate query failed (${res.status}): ${await res.text()}`,
      );
    return ((await res.json()) as { rows: Row[] }).rows;
  }

  /** Asks the server to cancel an invocation (it unwinds: the handler sees a CancelledError). */
  async cancel(invocationId: string): Promise<void> {
    const res = await fetch(
      `${this.adminUrl}/invocations/${encodeURIComponent(invocationId)}/cancel`,
      { method: "PATCH" },
    );
    if (!res.ok)
      throw new SupervisorError(
        `Restate refused to cancel ${invocationId} (${res.status}): ${await res.text()}`,
      );
  }

  /** Asks the server to forget a completed invocation; for a workflow's run, its state and promises go too. */
  async purge(invocationId: string): Promise<void> {
    const res = await fetch(
      `${this.adminUrl}/invocations/${encodeURIComponent(invocationId)}/purge`,
      { method: "PATCH" },
    );
    if (!res.ok)
      throw new SupervisorError(
        `Restate refused to purge ${invocationId} (${res.status}): ${await res.text()}`,
      );
  }

  /**
   * Registers a deployment. `force` replaces one at the same URI with changed code; `dryRun` only discovers what
   * the URI serves now. Restate 1.7 answers a URI it already has with 200 and the deployment it keeps, without
   * rediscovering it (see `registerCurrent`).
   */
  async register(
    uri: string,
    options: { force?: boolean; dryRun?: boolean } = {},
  ): Promise<RegisteredDeployment> {
    const res = await fetch(`${this.adminUrl}/deployments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        uri,
        force: options.force ?? false,
        ...(options.dryRun ? { dry_run: true } : {}),
      }),
    });
    if (!res.ok)
      throw new SupervisorError(
        `Restate refused to register ${uri} (${res.status}): ${await res.text()}`,
      );
    const body = (await res.json()) as {
      services?: {
        name: string;
        ty: string;
        handlers?: { name: string }[];
      }[];
    };
    return {
      created: res.status === 201,
      services: (body.services ?? []).map((s) => ({
        name: s.name,
        type: s.ty,
        handlers: (s.handlers ?? []).map((h) => h.name),
      })),
    };
  }
}

/** What Restate answered a registration with. */
export interface RegisteredDeployment {
  /** 201: a URI Restate did not have; 200: one it had, answered with what it keeps (or, dry, what it found). */
  readonly created: boolean;
  readonly services: readonly {
    readonly name: string;
    readonly type: string;
    readonly handlers: readonly string[];
  }[];
}
