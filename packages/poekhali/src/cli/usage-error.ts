/** The command line itself is wrong (exit code 2); the message says how. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A command that ran but did not succeed (exit code 1), e.g. a refused trigger or a failed run. */
export class CommandFailed extends Error {
  override name = "CommandFailed";
}
