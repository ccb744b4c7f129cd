import { join } from "node:path";
import { SupervisorError } from "../errors.js";
import { choosePort } from "../ports.js";
import { RestateAdmin } from "./restate-admin.js";
import { RestateServer } from "./restate-server.js";
import {
  CLUSTER_NODE_SETTINGS,
  type RestateServerSettings,
} from "./restate-server-settings.js";

/** How to run a {@link RestateCluster}. */
export interface RestateClusterOptions {
  /** Node `i` keeps its data in `<home>/restate-cluster/n<i>` and logs to `<home>/logs/restate-n<i>.log`. */
  readonly home: string;
  /** How many nodes; 3 lets one of them die. */
  readonly nodes: number;
  readonly host?: string;
  /** The cluster's name: nodes of another cluster refuse to join this one. */
  readonly name?: string;
  /** The request-identity private key every node signs its requests to the workers with. */
  readonly identityKeyFile?: string;
  /** Each node's ports, as a restart in the same home needs them back; free ones when left out. */
  readonly ports?: readonly RestateNodePorts[];
  /** Each node's memory pools and invoker concurrency; unset ones are {@link CLUSTER_NODE_SETTINGS}'s. */
  readonly settings?: Partial<RestateServerSettings>;
}

/** The ports one node listens on. */
export interface RestateNodePorts {
  readonly ingressPort: number;
  readonly adminPort: number;
  readonly nodePort: number;
}

/** One node of the cluster: its id (1-based), its ports, and its server while it runs. */
export interface RestateClusterNode extends RestateNodePorts {
  readonly id: number;
  readonly name: string;
  readonly ingressUrl: string;
  readonly adminUrl: string;
  /** The running server, or undefined while the node is down (killed and not yet restarted). */
  readonly server: RestateServer | undefined;
}

/**
 * How many copies of each log record and partition: 2 when there are 3 or more nodes, so that any one node may die
 * and a majority of the metadata servers (every node runs one) is left; 1 for a cluster too small for that.
 */
export function clusterReplication(nodes: number): number {
  return nodes >= 3 ? 2 : 1;
}

/**
 * The settings that make N `restate-server`s one Restate cluster: the same cluster name, every node's address as a
 * metadata-server peer (every node runs the replicated metadata server), replicated log and partitions, and
 * `auto-provision` on the first node only (Restate allows at most one), so no `restatectl provision` is needed.
 */
export function clusterNodeEnv(options: {
  readonly name: string;
  readonly id: number;
  readonly nodes: number;
  readonly metadataAddresses: readonly string[];
}): Record<string, string> {
  return {
    RESTATE_CLUSTER_NAME: options.name,
    RESTATE_AUTO_PROVISION: String(options.id === 1),
    RESTATE_ROLES: "[worker,admin,http-ingress,log-server,metadata-server]",
    RESTATE_METADATA_CLIENT__TYPE: "replicated",
    RESTATE_METADATA_CLIENT__ADDRESSES: `[${options.metadataAddresses.map((a) => JSON.stringify(a)).join(",")}]`,
    RESTATE_BIFROST__DEFAULT_PROVIDER: "replicated",
    RESTATE_DEFAULT_REPLICATION: String(clusterReplication(options.nodes)),
  };
}

/**
 * N `restate-server` nodes of one Restate cluster on loopback, from the npm binary, each under a watchdog (so
 * none outlives this process) with its own data directory; one node may be killed and restarted by its id.
 *
 * @example
 * const cluster = await RestateCluster.start({ home: ".poekhali", nodes: 3 });
 * await cluster.kill(2); await cluster.restart(2);
 */
export class RestateCluster {
  readonly #options: RestateClusterOptions;
  readonly #host: string;
  readonly #ports: readonly RestateNodePorts[];
  readonly #servers: (RestateServer | undefined)[];

  private constructor(
    options: RestateClusterOptions,
    host: string,
    ports: readonly RestateNodePorts[],
  ) {
    this.#options = options;
    this.#host = host;
    this.#ports = ports;
    this.#servers = ports.map(() => undefined);
  }

  /** Starts every node at once (they wait for each other) and resolves when each answers SQL over its admin API. */
  static async start(options: RestateClusterOptions): Promise<RestateCluster> {
    if (!Number.isInteger(options.nodes) || options.nodes < 1)
      throw new SupervisorError(
        `a Restate cluster needs a whole number of nodes, 1 or more; got ${options.nodes}`,
      );
    const host = options.host ?? "127.0.0.1";
    const taken = new Set<number>();
    const free = async () => {
      let port = await choosePort(0, host);
      while (taken.has(port)) port = await choosePort(0, host);
      taken.add(port);
      return port;
    };
    if (options.ports && options.ports.length !== options.nodes)
      throw new SupervisorError(
        `ports for ${options.ports.length} node(s) were given for a cluster of ${options.nodes}`,
      );
    const ports: RestateNodePorts[] = [...(options.ports ?? [])];
    for (let i = ports.length; i < options.nodes; i++)
      ports.push({
        ingressPort: await free(),
        adminPort: await free(),
        nodePort: await free(),
      });
    const cluster = new RestateCluster(options, host, ports);
    try {
      await Promise.all(ports.map((_, i) => cluster.restart(i + 1)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Every node, in id order, up or down. */
  get nodes(): readonly RestateClusterNode[] {
    return this.#ports.map((ports, i) => ({
      ...ports,
      id: i + 1,
      name: `n${i + 1}`,
      ingressUrl: `http://${this.#host}:${ports.ingressPort}`,
      adminUrl: `http://${this.#host}:${ports.adminPort}`,
      server: this.#servers[i],
    }));
  }

  /** The admin API of the first node that is up (any node's admin API serves the whole cluster). */
  admin(): RestateAdmin {
    const up = this.nodes.find((n) => n.server);
    if (!up) throw new SupervisorError("every node of the cluster is down");
    return new RestateAdmin(up.adminUrl);
  }

  /** Kills node `id`'s restate-server with SIGKILL, as a crash would, and resolves once it is gone. */
  async kill(id: number): Promise<void> {
    const server = this.#server(id);
    if (!server) return;
    this.#servers[id - 1] = undefined;
    if (server.pid !== undefined) process.kill(server.pid, "SIGKILL");
    await server.exited;
  }

  /** Starts node `id` (again) on its ports and data directory; resolves once it answers. */
  async restart(id: number): Promise<RestateServer> {
    const running = this.#server(id);
    if (running) return running;
    const ports = this.#ports[id - 1] as RestateNodePorts;
    const server = await RestateServer.start({
      home: this.#options.home,
      host: this.#host,
      ...ports,
      node: {
        name: `n${id}`,
        dataDir: join(this.#options.home, "restate-cluster", `n${id}`),
        logFile: join(this.#options.home, "logs", `restate-n${id}.log`),
        env: clusterNodeEnv({
          name: this.#options.name ?? "poekhali",
          id,
          nodes: this.#ports.length,
          metadataAddresses: this.#ports.map(
            (p) => `http://${this.#host}:${p.nodePort}/`,
          ),
        }),
      },
      settings: { ...CLUSTER_NODE_SETTINGS, ...this.#options.settings },
      ...(this.#options.identityKeyFile
        ? { identityKeyFile: this.#options.identityKeyFile }
        : {}),
    });
    this.#servers[id - 1] = server;
    return server;
  }

  /** Stops every node that is up (SIGTERM, then SIGKILL after its grace period). */
  async stop(): Promise<void> {
    await Promise.all(
      this.#servers.map(async (server, i) => {
        this.#servers[i] = undefined;
        await server?.stop();
      }),
    );
  }

  #server(id: number): RestateServer | undefined {
    if (!Number.isInteger(id) || id < 1 || id > this.#ports.length)
      throw new SupervisorError(
        `no node ${id} in this cluster of ${this.#ports.length} node(s)`,
      );
    return this.#servers[id - 1];
  }
}
