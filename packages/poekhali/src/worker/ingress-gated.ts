import type { EndpointOptions, HooksProvider } from "@restatedev/restate-sdk";
import { ingressGate } from "@poekhali/core";

/** A definition as `restate.service()`, `.object()` and `.workflow()` return it. */
type Definition = EndpointOptions["services"][number];

/** What the SDK reads of a definition's options at bind time; its public types do not show them. */
interface WithHooks {
  readonly options?: { readonly hooks?: HooksProvider[] };
}

/**
 * The same definition, its handlers behind the ingress gate (see `ingressGate`): through Restate's ingress they run
 * only for requests signed with `key`; calls from other handlers pass. The gate comes first, before the definition's
 * own hooks, so that none of them runs for a refused request.
 */
export function ingressGated<D extends Definition>(
  definition: D,
  key: string,
): D {
  const own = (definition as WithHooks).options;
  return {
    ...definition,
    options: { ...own, hooks: [ingressGate(key), ...(own?.hooks ?? [])] },
  };
}
