import type {
  Service,
  ServiceDefinition,
  VirtualObject,
  VirtualObjectDefinition,
  Workflow,
  WorkflowDefinition,
} from "@restatedev/restate-sdk";

/**
 * A Restate handler by name, as a sensor's `context.send` (a `DeferTarget`) and `RestateIngress` take it; made by
 * {@link handlerTarget}, whose handler name the compiler checks against the definition.
 */
export interface HandlerTarget {
  readonly service: string;
  readonly handler: string;
  /** The virtual object's or workflow's key; absent for a plain service. */
  readonly key?: string;
}

/**
 * Names a handler of a Restate virtual object, workflow or service through its definition (the value, or a typed
 * `{ name }` stand-in), so that a renamed or misspelt handler is a compile error, not a run parked until it times out.
 *
 * @example
 * const Router: TelegramRouter = { name: ROUTER_NAME };
 * context.send(handlerTarget(Router, "watch", key), watch);
 */
// The SDK's definitions are `{ name }` with the handlers as a phantom type argument, which its `VirtualObject<D>`,
// `Workflow<D>` and `Service<D>` recover from the definition's own type; another kind's definition yields no names.
export function handlerTarget<
  D extends VirtualObjectDefinition<string, unknown>,
>(
  definition: D,
  handler: keyof VirtualObject<D> & string,
  key: string,
): HandlerTarget;
export function handlerTarget<D extends WorkflowDefinition<string, unknown>>(
  definition: D,
  handler: keyof Workflow<D> & string,
  key: string,
): HandlerTarget;
export function handlerTarget<D extends ServiceDefinition<string, unknown>>(
  definition: D,
  handler: keyof Service<D> & string,
): HandlerTarget;
export function handlerTarget(
  definition: { readonly name: string },
  handler: string,
  key?: string,
): HandlerTarget {
  return key === undefined
    ? { service: definition.name, handler }
    : { service: definition.name, handler, key };
}
