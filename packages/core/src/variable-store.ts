/** A Variable as it is stored: its value (always a string, as Airflow keeps it) and an optional description. */
export interface StoredVariable {
  readonly value: string;
  readonly description: string | null;
}

/** Where Airflow Variables set over the API or by tasks are kept; the worker provides one. */
export interface VariableStore {
  /** The Variable, or `null` when there is none under the key. */
  get(key: string): Promise<StoredVariable | null>;
  /** Stores the Variable, replacing what was there (Airflow's `Variable.set`, an upsert). */
  set(key: string, variable: StoredVariable): Promise<void>;
  /** Deletes the Variable; `false` when there was none. */
  delete(key: string): Promise<boolean>;
}

/** Airflow's longest Variable key (`ID_LEN`, the `variable.key` column). */
export const MAX_VARIABLE_KEY_LENGTH = 250;

/** What is wrong with a Variable key, or `null` when Airflow would take it: 1 to 250 characters. */
export function variableKeyProblem(key: unknown): string | null {
  if (typeof key !== "string") return "a Variable key must be a string";
  // Airflow takes an empty key in a body, but no path can name it afterwards: refuse it up front.
  if (key.length === 0) return "a Variable key must not be empty";
  if (key.length > MAX_VARIABLE_KEY_LENGTH)
    return `a Variable key has at most ${MAX_VARIABLE_KEY_LENGTH} characters (this one has ${key.length})`;
  return null;
}
