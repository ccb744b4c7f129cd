import { Hono } from "hono";
import { z } from "zod";
import { loginBody } from "../auth/auth-routes.js";
import * as contract from "./airflow-v2-contract.js";
import { dagPatchBody } from "./dag-routes.js";
import { variableBody } from "./variable-routes.js";
import { VERSION } from "./meta-routes.js";
import {
  OPERATIONS,
  type BodyName,
  type JsonSchema,
  type Operation,
} from "./openapi-operations.js";
import {
  dagRunClearBody,
  dagRunPatchBody,
  dagRunsBatchBody,
  triggerBody,
} from "./run-bodies.js";
import {
  clearTaskInstancesBody,
  patchTaskInstanceBody,
  taskInstancesBatchBody,
} from "./task-instance-bodies.js";
import { updateHitlDetailPayload } from "./hitl-bodies.js";
import type { V2Env } from "./v2-options.js";

/** The request bodies, as the routes parse them: the document describes exactly what they accept. */
const BODIES: Record<BodyName, z.ZodType> = {
  DAGPatchBody: dagPatchBody,
  TriggerDAGRunPostBody: triggerBody,
  DAGRunsBatchBody: dagRunsBatchBody,
  DAGRunPatchBody: dagRunPatchBody,
  DAGRunClearBody: dagRunClearBody,
  PatchTaskInstanceBody: patchTaskInstanceBody,
  ClearTaskInstancesBody: clearTaskInstancesBody,
  TaskInstancesBatchBody: taskInstancesBatchBody,
  VariableBody: variableBody,
  LoginBody: loginBody,
  UpdateHITLDetailPayload: updateHitlDetailPayload,
};

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Validation Error",
  503: "Service Unavailable",
};

/** An OpenAPI 3.1 document. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Record<string, Record<string, unknown>>;
  readonly components: {
    readonly schemas: Record<string, JsonSchema>;
    readonly securitySchemes: Record<string, JsonSchema>;
  };
}

const uri = (id: string) => `#/components/schemas/${id}`;
const ref = (id: string): JsonSchema => ({ $ref: uri(id) });

/** Leaves out what only makes the document long: zod's date-time and uuid regexes, and ints' ±2^53 bounds. */
function tidy(schema: Record<string, unknown>): void {
  if (typeof schema.format === "string") delete schema.pattern;
  if (
    schema.type === "integer" &&
    schema.minimum === Number.MIN_SAFE_INTEGER &&
    schema.maximum === Number.MAX_SAFE_INTEGER
  ) {
    delete schema.minimum;
    delete schema.maximum;
  }
}

/** The JSON Schemas of a registry's zod schemas, each under its id, as OpenAPI components. */
function components(
  schemas: Readonly<Record<string, z.ZodType>>,
  io: "input" | "output",
): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas))
    registry.add(schema, { id });
  const { schemas: out } = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    io,
    uri,
    override: ({ jsonSchema }) => tidy(jsonSchema as Record<string, unknown>),
  });
  return Object.fromEntries(
    Object.entries(out).map(([id, { $schema: _s, $id: _i, ...rest }]) => [
      id,
      rest,
    ]),
  );
}

/** The v2 contract's exports that are zod schemas: every answer's schema, named as Airflow names it. */
const responseSchemas = () =>
  Object.fromEntries(
    Object.entries(contract as Record<string, unknown>).filter(
      (entry): entry is [string, z.ZodType] => entry[1] instanceof z.ZodType,
    ),
  );

function operation(op: Operation): Record<string, unknown> {
  const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    schema: op.pathSchemas?.[name ?? ""] ?? { type: "string" },
  }));
  const queryParams = Object.entries(op.query ?? {}).map(([name, schema]) => ({
    name,
    in: "query",
    required: false,
    schema,
  }));
  const accept = op.ndjson
    ? [
        {
          name: "accept",
          in: "header",
          required: false,
          schema: {
            type: "string",
            enum: ["application/json", "application/x-ndjson", "*/*"],
            default: "*/*",
          },
        },
      ]
    : [];
  const okSchemas = op.ok.of.map(ref);
  const okBody =
    op.ok.status === 204
      ? {}
      : {
          content: {
            "application/json": {
              schema:
                okSchemas.length === 1 ? okSchemas[0] : { anyOf: okSchemas },
            },
            ...(op.ndjson
              ? { "application/x-ndjson": { schema: { type: "string" } } }
              : {}),
          },
        };
  const statuses = [
    ...op.errors,
    ...(op.open ? [] : [401, 403]),
    ...(op.body ? [413, 415] : []),
  ].sort((a, b) => a - b);
  const errors = Object.fromEntries(
    [...new Set(statuses)].map((status) => {
      const schema =
        status !== 422
          ? ref("HTTPExceptionResponse")
          : op.sentence422
            ? {
                anyOf: [
                  ref("HTTPValidationError"),
                  ref("HTTPExceptionResponse"),
                ],
              }
            : ref("HTTPValidationError");
      return [
        String(status),
        {
          description: REASONS[status] ?? "Error",
          content: { "application/json": { schema } },
        },
      ];
    }),
  );
  return {
    tags: [op.tag],
    summary: op.summary,
    operationId: op.operationId,
    ...(op.open
      ? {}
      : { security: [{ OAuth2PasswordBearer: [] }, { HTTPBearer: [] }] }),
    parameters: [...pathParams, ...queryParams, ...accept],
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: ref(op.body) } },
          },
        }
      : {}),
    responses: {
      [String(op.ok.status)]: {
        description:
          op.ok.status === 204 ? "No Content" : "Successful Response",
        ...okBody,
      },
      ...errors,
    },
  };
}

let built: OpenApiDocument | undefined;

/**
 * The OpenAPI 3.1 document of what poekhali serves to Airflow 3's clients (`/api/v2` and `/auth/token`). Its response
 * schemas are the v2 contract's zod schemas and its request bodies the schemas the routes parse with, so the document
 * says what the contract tests check and the routes accept; generate a typed client from it (openapi-typescript).
 *
 * @example
 * const doc = v2OpenApiDocument();
 * doc.paths["/api/v2/dags"]?.get;
 */
export function v2OpenApiDocument(): OpenApiDocument {
  built ??= {
    openapi: "3.1.0",
    info: {
      title: "poekhali: Airflow 3 REST API (v2)",
      version: VERSION,
    },
    paths: OPERATIONS.reduce<Record<string, Record<string, unknown>>>(
      (paths, op) => {
        paths[op.path] = { ...paths[op.path], [op.method]: operation(op) };
        return paths;
      },
      {},
    ),
    components: {
      schemas: {
        ...components(responseSchemas(), "output"),
        // A body's any-JSON value refers to the contract's JsonValue, as a response's does.
        ...components({ ...BODIES, JsonValue: contract.JsonValue }, "input"),
      },
      securitySchemes: {
        OAuth2PasswordBearer: {
          type: "oauth2",
          flows: { password: { tokenUrl: "/auth/token", scopes: {} } },
        },
        HTTPBearer: { type: "http", scheme: "bearer" },
      },
    },
  };
  return built;
}

/** `GET /api/v2/openapi.json`, and `GET /openapi.json` where Airflow's API server serves its own document. */
export function openApiRoutes(): Hono<V2Env> {
  const app = new Hono<V2Env>();
  for (const path of ["/api/v2/openapi.json", "/openapi.json"])
    app.get(path, (c) => c.json(v2OpenApiDocument()));
  return app;
}
