import * as clients from "@restatedev/restate-sdk-clients";
import { signedIngressFetch } from "@poekhali/core";

/**
 * Restate's typed ingress clients for `url`, every request signed with POEKHALI_INTERNAL_KEY: the workers' handlers
 * refuse unsigned requests through the ingress (see `ingressGate`).
 *
 * @example
 * const variable = connectIngress(ingressUrl).objectClient(Variable, "api_key");
 */
export function connectIngress(url: string): clients.Ingress {
  return clients.connect({ url, fetch: signedIngressFetch(url) });
}
