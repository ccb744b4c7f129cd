/**
 * What a `dag_run_id` may be: Airflow's default `[scheduler] allowed_run_id_pattern` (`^[A-Za-z0-9_.~:+-]+$`),
 * at most 250 characters (its `run_id` column), and never `.` or `..`, which a URL path reads as a directory.
 */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_.~:+-]{1,250}$/;

/** Why a `dag_run_id` is refused, or null when it is a good one. */
export function runIdProblem(runId: string): string | null {
  if (runId === "." || runId === "..")
    return `"${runId}" cannot be a dag_run_id: a URL path reads it as a directory`;
  if (!RUN_ID_PATTERN.test(runId))
    return "must be 1-250 letters, digits or _ . ~ : + - (Airflow's allowed_run_id_pattern)";
  return null;
}
