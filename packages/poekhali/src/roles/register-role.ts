import { airtableUpgradeWarnings } from "../restate/airtable-upgrade-check.js";
import { RestateAdmin } from "../restate/restate-admin.js";
import { versionPath } from "../versions/dag-versions.js";
import { registerCurrent } from "../versions/register-current.js";

/** The deployment URI of a DAG code version served at `workerUrl` (a worker, or a load balancer before several). */
export function deploymentOf(workerUrl: string, hash: string): string {
  return `${workerUrl.replace(/\/+$/, "")}${versionPath(hash)}`;
}

/**
 * The register role (`poekhali register`, and `up` each time its worker is ready): registers the current DAG code
 * version's deployment with Restate. Changed DAG code has a new URI, hence a new deployment, and runs keep the one
 * they started on; the same URI with changed handlers is replaced, with a warning, only with `force` (see
 * `registerCurrent`): `up` forces, `poekhali register` only when told `--force`.
 *
 * @example
 * await registerRole({ adminUrl: "http://restate:9070", deployment: deploymentOf("http://workers:9080", hash), force: false, log });
 */
export async function registerRole(options: {
  readonly adminUrl: string;
  readonly deployment: string;
  /** Replace the deployment at the same URI when it serves other handlers now. */
  readonly force: boolean;
  readonly log: (line: string) => void;
}): Promise<void> {
  const admin = new RestateAdmin(options.adminUrl);
  await admin.reachable();
  // Before registering: a forced registration replaces the deployment at the same URI, and with it the marker.
  for (const line of await airtableUpgradeWarnings(admin).catch(
    (error: unknown) => [
      `could not check for Airtable writes in flight from before the inboxes: ${error instanceof Error ? error.message : String(error)}`,
    ],
  ))
    options.log(line);
  await registerCurrent(admin, options.deployment, options.log, {
    force: options.force,
  });
}
