import type { IncomingMessage, ServerResponse } from "node:http";
import {
  AirtableApiError,
  EmulatorUsageError,
  RequestBodyError,
} from "../errors.js";
import { startHttpServer } from "../http/http-server.js";
import type { HttpServer } from "../http/http-server.js";
import { readJsonBody } from "../http/request-body.js";
import { sendJson } from "../http/respond.js";
import { AccessTokens } from "./access-tokens.js";
import { unprocessable } from "./airtable-errors.js";
import { handleAirtableControl } from "./airtable-control.js";
import { buildBase, findTable, recordToWire } from "./base-store.js";
import { AirtableCallLog, baseOfPath } from "./call-log.js";
import type { AirtableCall } from "./call-log.js";
import type { StoredBase } from "./base-store.js";
import { RateLimiter } from "./rate-limiter.js";
import type { RateLimitOptions } from "./rate-limiter.js";
import { readAirtableSchema } from "./schema-file.js";
import { handleRestApi } from "./rest-api.js";
import { StateFile } from "../state/state-file.js";
import { restoreAirtable, snapshotAirtable } from "./airtable-snapshot.js";
import type {
  AirtableRecord,
  AirtableSchema,
  BaseSchema,
} from "./table-schema.js";

/** Options of {@link AirtableEmulator.start}. */
export interface AirtableEmulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
  /** Enforce Airtable's 5 requests per second per base, then 429 for 30 s; `true` for the real limits, an object to change them; off by default. */
  rateLimit?: boolean | RateLimitOptions;
  /** Bases and tables to create at start: the parsed schema, or the path of a JSON file holding it. */
  schema?: AirtableSchema | string;
  /** Clock in milliseconds, for createdTime and the rate limit. */
  now?: () => number;
  /**
   * A JSON file that keeps bases, records and tokens across restarts, as the real service keeps them: read at
   * start when it exists, replaced atomically before each answer that follows a change. `schema` then adds
   * only the bases it does not already hold (by id or name).
   */
  stateFile?: string;
}

/**
 * A local Airtable REST API (v0): records, upsert, filterByFormula, metadata, tokens with scopes.
 *
 * @example
 * const airtable = await AirtableEmulator.start();
 * const base = airtable.createBase({ name: "airflow101", tables: [TG_ACTIONS_TABLE] });
 * const token = airtable.createToken({ scopes: ["data.records:write"], bases: [base.id] });
 */
export class AirtableEmulator {
  /** Base URL for clients (the airtable client's `endpointUrl`). */
  readonly endpointUrl: string;
  private readonly bases = new Map<string, StoredBase>();
  private readonly tokens = new AccessTokens();
  private readonly callLog = new AirtableCallLog();
  private stateFile: StateFile | undefined;

  private constructor(
    private readonly server: HttpServer,
    private readonly limiter: RateLimiter | undefined,
    private readonly now: () => number,
  ) {
    this.endpointUrl = server.url;
  }

  /** Starts an emulator listening on a local port. */
  static async start(
    options: AirtableEmulatorOptions = {},
  ): Promise<AirtableEmulator> {
    // No request is handled before the constructor below runs: it follows the listen callback synchronously.
    const server = await startHttpServer(
      (req, res) => emulator.handle(req, res),
      { ...options, beforeAnswer: () => emulator.save() },
    );
    const now = options.now ?? Date.now;
    const limit = options.rateLimit ?? false;
    const emulator = new AirtableEmulator(
      server,
      limit === false
        ? undefined
        : new RateLimiter(now, limit === true ? {} : limit),
      now,
    );
    try {
      if (options.stateFile !== undefined) {
        const file = new StateFile(options.stateFile, "Airtable emulator");
        restoreAirtable(file, emulator.bases, emulator.tokens);
        // Only once read: a file that could not be read must not be overwritten by the close below.
        emulator.stateFile = file;
      }
      const schema =
        typeof options.schema === "string"
          ? readAirtableSchema(options.schema)
          : options.schema;
      for (const base of schema?.bases ?? []) {
        const held = [...emulator.bases.values()].some(
          (b) => b.id === base.id || b.name === base.name,
        );
        if (!held) emulator.createBase(base);
      }
    } catch (error) {
      await emulator.close();
      throw error;
    }
    return emulator;
  }

  /** Creates a base from table schemas; ids are "app" + 14 chars unless given. */
  createBase(options: BaseSchema): { id: string } {
    const { id } = this.addBase(options);
    this.save();
    return { id };
  }

  /** Finds a base by its name, as one created before a restart. */
  findBase(name: string): { id: string } | undefined {
    for (const base of this.bases.values())
      if (base.name === name) return { id: base.id };
    return undefined;
  }

  /** Finds a token issued with exactly these scopes and bases, as one issued before a restart. */
  findToken(options: {
    scopes: string[];
    bases: string[] | "all";
  }): string | undefined {
    return this.tokens.find(options.scopes, options.bases);
  }

  /** Lists the ids of every base, in creation order. */
  baseIds(): string[] {
    return [...this.bases.keys()];
  }

  /** Issues a personal access token with scopes, for some bases or all. */
  createToken(options: { scopes: string[]; bases: string[] | "all" }): string {
    const token = this.tokens.issue(options.scopes, options.bases);
    this.save();
    return token;
  }

  /** Returns every record of a table in creation order, as the API renders them. */
  records(baseId: string, table: string): AirtableRecord[] {
    const base = this.bases.get(baseId);
    const stored = base === undefined ? undefined : findTable(base, table);
    if (stored === undefined)
      throw new EmulatorUsageError(`no table ${table} in base ${baseId}`);
    return stored.records.map((record) => recordToWire(stored, record));
  }

  /** Every REST request answered so far (control routes aside), optionally only those naming one base; oldest first. */
  calls(baseId?: string): AirtableCall[] {
    return this.callLog.list(baseId);
  }

  /** Stops the server; safe to call twice. */
  async close(): Promise<void> {
    await this.server.close();
    this.save();
  }

  /** Writes the state file (if there is one) when the state changed since it was last written. */
  private save(): void {
    this.stateFile?.save(snapshotAirtable(this.bases, this.tokens));
  }

  private addBase(schema: BaseSchema): StoredBase {
    const base = buildBase(schema);
    if (this.bases.has(base.id))
      throw new EmulatorUsageError(`base ${base.id} already exists`);
    this.bases.set(base.id, base);
    return base;
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    const arrived = this.now();
    let path = url.pathname;
    try {
      path =
        url.pathname.length > 1
          ? url.pathname.replace(/\/+$/, "")
          : url.pathname;
      if (path.startsWith("/_emulator/")) {
        await handleAirtableControl(
          {
            bases: this.bases,
            tokens: this.tokens,
            calls: this.callLog,
            addBase: (schema) => this.addBase(schema),
          },
          req,
          res,
          path,
        );
        return;
      }
      const hasBody =
        req.method !== "GET" &&
        req.method !== "HEAD" &&
        req.method !== "DELETE";
      const body = hasBody ? await readJsonBody(req) : undefined;
      const answer = handleRestApi(
        {
          bases: this.bases,
          tokens: this.tokens,
          limiter: this.limiter,
          now: this.now,
        },
        { req, path, query: url.searchParams, body },
      );
      sendJson(res, 200, answer);
    } catch (error) {
      if (error instanceof AirtableApiError) {
        sendJson(res, error.status, error.body, error.headers);
      } else if (error instanceof RequestBodyError) {
        const refusal =
          error.reason === "too_large"
            ? new AirtableApiError(413, {
                error: {
                  type: "REQUEST_TOO_LARGE",
                  message: "Request body is too large",
                },
              })
            : unprocessable(
                "INVALID_REQUEST_BODY",
                "Could not parse request body",
              );
        sendJson(res, refusal.status, refusal.body);
      } else {
        throw error;
      }
    }
    if (!path.startsWith("/_emulator/"))
      this.callLog.record({
        method: req.method ?? "GET",
        path,
        base_id: baseOfPath(path),
        status: res.statusCode,
        time: arrived,
      });
  }
}
