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
import { RestatePortTakenError, RestateServer } from "./restate-server.js";
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
    /** Where the server's ports come from (a test of the retry hands out a taken one). */
    readonly choosePort?: () => Promise<number>;
  } = {},
): Promise<TemporaryRestate> {
  const { home, key, server } = await startOnFreePorts(prefix, options);
  const endpoints: ServedEndpoint[] = [];
  return {
    home,
    server,
    ingress: new RestateIngress(server.ingressUrl),
    identityKey: key,
    async deploy(services, endpointOptions = {}) {
      const handler = createEndpointHandler({
        ...(key ? { identityKeys: [key.publicKey] } : {}),
        ...endpointOptions,
        services,
      });
      const endpoint = await retryWhilePortTaken(async () =>
        serveEndpoint(handler, { port: await choosePort(0) }),
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

/** How many times a start is tried on fresh ports when one chosen was taken before it was bound. */
const PORT_ATTEMPTS = 5;

/**
 * Starts restate-server in a fresh home on ports chosen now. A port chosen free can be bound by another test's
 * process before restate-server binds it (`choosePort` lets it go): such a start is tried again, in a new home
 * and on new ports, since a failed node may have written its address into the old one.
 */
async function startOnFreePorts(
  prefix: string,
  options: {
    readonly signed?: boolean;
    readonly settings?: Partial<RestateServerSettings>;
    readonly choosePort?: () => Promise<number>;
  },
): Promise<{
  home: string;
  key: IdentityKey | undefined;
  server: RestateServer;
}> {
  const port = options.choosePort ?? (() => choosePort(0));
  for (let attempt = 1; ; attempt++) {
    const home = mkdtempSync(join(tmpdir(), prefix));
    const key = options.signed ? identityKey(home) : undefined;
    try {
      const server = await RestateServer.start({
        home,
        ingressPort: await port(),
        adminPort: await port(),
        nodePort: await port(),
        ...(key ? { identityKeyFile: key.privateKeyPemPath } : {}),
        ...(options.settings ? { settings: options.settings } : {}),
      });
      return { home, key, server };
    } catch (error) {
      rmSync(home, { recursive: true, force: true });
      if (!(error instanceof RestatePortTakenError) || attempt >= PORT_ATTEMPTS)
        throw error;
    }
  }
}

/** Calls `bind` again while it fails because its port was taken between choosing and binding. */
async function retryWhilePortTaken<T>(bind: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await bind();
    } catch (error) {
      if (!portWasTaken(error) || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

/** Whether binding failed because the port was taken. */
function portWasTaken(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause)
    if ((cause as NodeJS.ErrnoException).code === "EADDRINUSE") return true;
  return false;
}
