import type { AppConfig, RestateUrls } from "../config.js";
import { ConfigError } from "../errors.js";

/** The external Restate a role needs (RESTATE_ADMIN_URL and RESTATE_INGRESS_URL), or a {@link ConfigError} naming them. */
export function requiredRestate(config: AppConfig, role: string): RestateUrls {
  if (!config.externalRestate)
    throw new ConfigError(
      "RESTATE_ADMIN_URL",
      `is required by poekhali ${role}, with RESTATE_INGRESS_URL: the admin API (9070) and ingress (8080) of the Restate it works with`,
    );
  return config.externalRestate;
}
