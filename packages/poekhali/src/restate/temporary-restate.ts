import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RestateIngress } from "@poekhali/core";
import {
  createEndpointHandler,
  type EndpointOptions,
} from "@restatedev/restate-sdk";
import {
  serveEndpoint,
  type ServedEndpoint,
} from "../worker/serve-endpoint.js";
import { choosePort } from "../ports.js";
import { identityKey, type IdentityKey } from "./identity-key.js";
import { RestateServer } from "./restate-server.js";
import type { RestateServerSettings } from "./restate-server-settings.js";

/** A restate-server on free ports with a data directory of its own, removed by `stop()`. */
export interface TemporaryRestate {
  /** Its temporary directory, removed by `stop()`: a place for a test's other files too. */
  readonly home: string;
  readonly server: RestateServer;
  readonly ingress: RestateIngress;
  /** The server's request-identity key pair, when it was started with `{ signed: true }`. */
  readonly identityKey: IdentityKey | undefined;
  /** Serves services on a free port and registers them as a deployment; `stop()` closes them too. */
  deploy(
    services: EndpointOptions["services"],
    options?: Omit<EndpointOptions, "services">,
  ): Promise<ServedEndpoint>;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway restate-server, as tests and benchmarks need: random ports, a temporary data directory.
 *
 * @example
 * const restate = await startTemporaryRestate();
 * await restate.server.register(endpoint.url);
 */
export async function startTemporaryRestate(
  prefix = "poekhali-restate-",
  options: {
    /** Sign every request to the deployments with a key generated in its home (see `identityKey`). */
    readonly signed?: boolean;
    /** Memory pools and invoker concurrency other than the embedded server's defaults. */
    readonly settings?: Partial<RestateServerSettings>;
  } = {},
): Promise<TemporaryRestate> {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const key = options.signed ? identityKey(home) : undefined;
  const server = await RestateServer.start({
    home,
    ingressPort: await choosePort(0),
    adminPort: await choosePort(0),
    nodePort: await choosePort(0),
    ...(key ? { identityKeyFile: key.privateKeyPemPath } : {}),
    ...(options.settings ? { settings: options.settings } : {}),
  });
  const endpoints: ServedEndpoint[] = [];
  return {
    home,
    server,
    ingress: new RestateIngress(server.ingressUrl),
    identityKey: key,
    async deploy(services, endpointOptions = {}) {
      const endpoint = await serveEndpoint(
        createEndpointHandler({
          ...(key ? { identityKeys: [key.publicKey] } : {}),
          ...endpointOptions,
          services,
        }),
        { port: await choosePort(0) },
      );
      endpoints.push(endpoint);
      await server.register(endpoint.url);
      return endpoint;
    },
    async stop() {
      for (const endpoint of endpoints.splice(0)) await endpoint.stop();
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
