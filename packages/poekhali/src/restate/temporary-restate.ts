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
import { RestateServer } from "./restate-server.js";

/** A restate-server on free ports with a data directory of its own, removed by `stop()`. */
export interface TemporaryRestate {
  /** Its temporary directory, removed by `stop()`: a place for a test's other files too. */
  readonly home: string;
  readonly server: RestateServer;
  readonly ingress: RestateIngress;
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
): Promise<TemporaryRestate> {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const server = await RestateServer.start({
    home,
    ingressPort: await choosePort(0),
    adminPort: await choosePort(0),
    nodePort: await choosePort(0),
  });
  const endpoints: ServedEndpoint[] = [];
  return {
    home,
    server,
    ingress: new RestateIngress(server.ingressUrl),
    async deploy(services, options = {}) {
      const endpoint = await serveEndpoint(
        createEndpointHandler({ ...options, services }),
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
