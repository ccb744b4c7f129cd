import { SupervisorError } from "../errors.js";
import type { RestateAdmin } from "../restate/restate-admin.js";

/**
 * Registers the current version's deployment. The same URI with other handlers means the providers' or core's
 * code changed under an unchanged DAGs folder (a development setup): then it is replaced, with a warning,
 * since runs parked on it may no longer replay.
 */
export async function registerCurrent(
  restate: RestateAdmin,
  uri: string,
  log: (line: string) => void,
): Promise<void> {
  try {
    await restate.register(uri);
  } catch (error) {
    if (
      !(error instanceof SupervisorError) ||
      !/\b(409|400)\b/.test(error.message)
    )
      throw error;
    log(
      `[app] the deployment ${uri} changed without a change to the DAG files; replacing it (runs parked on it may fail to resume)`,
    );
    await restate.register(uri, { force: true });
  }
}
