/** A Restate service, virtual object or workflow as `restate.service()`, `.object()` and `.workflow()` return it. */
export interface RestateDefinition {
  readonly name: string;
}

const KINDS = ["service", "object", "workflow"] as const;

/**
 * Whether a value is a Restate definition, told by its shape (a name, a kind, and the handlers under that kind)
 * rather than by class: a DAG file may bring its own copy of the SDK, whose definitions no `instanceof` here knows.
 */
export function isRestateDefinition(
  value: unknown,
): value is RestateDefinition {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const kind = v._kind;
  if (typeof v.name !== "string" || v.name === "") return false;
  if (!KINDS.some((k) => k === kind)) return false;
  const handlers = v[kind as string];
  return typeof handlers === "object" && handlers !== null;
}
