import { SupervisorError } from "../errors.js";
import type {
  RegisteredDeployment,
  RestateAdmin,
} from "../restate/restate-admin.js";

/** The services, their types and handlers, in an order-free form to compare two registrations by. */
function shape(deployment: RegisteredDeployment): string {
  return JSON.stringify(
    deployment.services
      .map((s) => [s.name, s.type, [...s.handlers].sort()] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/**
 * Registers the current version's deployment. Restate keeps a URI it already has as it was, so a known URI is
 * discovered again (dry) and compared: other services or handlers under the same URI mean the providers' or core's
 * code changed under an unchanged DAGs folder (a development setup). Then, with `force`, it is replaced, with a
 * warning, since runs parked on it may no longer replay; without, it fails saying so. Any refusal by Restate (an
 * unreachable or unsigned worker, a changed service type) is thrown as it is, never forced past.
 */
export async function registerCurrent(
  restate: RestateAdmin,
  uri: string,
  log: (line: string) => void,
  options: { readonly force: boolean },
): Promise<void> {
  const kept = await restate.register(uri);
  if (kept.created) return;
  const served = await restate.register(uri, { force: true, dryRun: true });
  if (shape(served) === shape(kept)) return;
  if (!options.force)
    throw new SupervisorError(
      `the deployment ${uri} is registered with other services or handlers than it serves now (the providers' ` +
        "or core's code changed under unchanged DAG files); replacing it may leave runs parked on it unable to " +
        "resume. Run poekhali register --force to replace it",
    );
  log(
    `[app] the deployment ${uri} changed without a change to the DAG files; replacing it (runs parked on it may fail to resume)`,
  );
  await restate.register(uri, { force: true });
}
