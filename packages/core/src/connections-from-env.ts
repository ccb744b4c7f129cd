import type { Connection } from "./connections.js";
import { ConnectionError } from "./errors.js";

const PREFIX = "POEKHALI_CONN_";

/**
 * Reads one connection from an environment value, as Airflow reads `AIRFLOW_CONN_*`: either JSON
 * (`{"conn_type", "host", "password", "extra"}`) or a URI (`telegram://:TOKEN@-100123?api_root=...`).
 * Errors name the variable, never its value: it holds a secret.
 */
export function connectionFromEnv(connId: string, value: string): Connection {
  const variable = `${PREFIX}${connId.toUpperCase()}`;
  const text = value.trim();
  if (text.startsWith("{")) {
    let parsed: {
      conn_type?: unknown;
      host?: unknown;
      password?: unknown;
      extra?: unknown;
    };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new ConnectionError(
        connId,
        `${variable} starts with "{" but is not valid JSON`,
      );
    }
    if (typeof parsed.conn_type !== "string")
      throw new ConnectionError(connId, `${variable} has no "conn_type"`);
    const extra = parsed.extra === undefined ? {} : parsed.extra;
    if (
      typeof extra !== "object" ||
      extra === null ||
      Object.values(extra).some((v) => typeof v !== "string")
    ) {
      throw new ConnectionError(
        connId,
        `${variable}: "extra" must be an object of strings`,
      );
    }
    return {
      connId,
      connType: parsed.conn_type,
      ...(typeof parsed.host === "string" ? { host: parsed.host } : {}),
      ...(typeof parsed.password === "string"
        ? { password: parsed.password }
        : {}),
      extra: extra as Record<string, string>,
    };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConnectionError(
      connId,
      `${variable} is neither JSON nor a URI like conn-type://:password@host?key=value`,
    );
  }
  const password = decodeURIComponent(url.password);
  const host = decodeURIComponent(
    url.hostname || url.pathname.replace(/^\/\//, ""),
  );
  return {
    connId,
    connType: url.protocol.replace(/:$/, "").replaceAll("-", "_"),
    ...(host ? { host } : {}),
    ...(password ? { password } : {}),
    extra: Object.fromEntries(url.searchParams),
  };
}

/** Every `POEKHALI_CONN_<ID>` variable as a connection with id `<id>` in lower case. */
export function connectionsFromEnv(env: NodeJS.ProcessEnv): Connection[] {
  return Object.entries(env)
    .filter(([name, value]) => name.startsWith(PREFIX) && value)
    .map(([name, value]) =>
      connectionFromEnv(name.slice(PREFIX.length).toLowerCase(), value ?? ""),
    );
}
