/** A setting in the environment is missing or wrong; `variable` names it. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** A process the app supervises would not start or stay up. */
export class SupervisorError extends Error {
  override name = "SupervisorError";
}
