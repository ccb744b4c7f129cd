/**
 * Airflow's `DEFAULT_SENSITIVE_FIELDS` (its secrets masker): a Variable whose key, or a JSON value's field whose name,
 * contains one of these hides its value in API answers.
 */
export const SENSITIVE_FIELDS: readonly string[] = [
  "access_key",
  "access_token",
  "api_key",
  "apikey",
  "auth_header",
  "authorization",
  "bearer",
  "connection_string",
  "dsn",
  "passphrase",
  "passwd",
  "password",
  "private_key",
  "proxy",
  "proxy_password",
  "proxies",
  "secret",
  "service_account",
  "service_key",
  "token",
  "keyfile_dict",
  "webhook_url",
];

const MASK = "***";

/** Whether a key names something secret, as Airflow's `should_hide_value_for_key` decides: lower-cased, `\W+` as `_`. */
export function isSensitiveKey(name: string): boolean {
  const normalized = name.trim().toLowerCase().replace(/\W+/g, "_");
  return SENSITIVE_FIELDS.some((field) => normalized.includes(field));
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every scalar inside hidden (null stays null: it tells nothing). */
function maskAll(value: Json): Json {
  if (Array.isArray(value)) return value.map(maskAll);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, maskAll(v)]),
    );
  return value === null ? null : MASK;
}

/** Hides what a sensitive name holds, at any depth, as Airflow's `redact`. */
function redact(value: Json, name: string | null): Json {
  if (name !== null && isSensitiveKey(name)) return maskAll(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, null));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, redact(v, k)]),
    );
  return value;
}

/**
 * A Variable's value as the API shows it (Airflow's `VariableResponse.redact_val`): all of it `***` under a sensitive
 * key; in a JSON object, the fields with sensitive names. Airflow leaves a number under a sensitive key readable;
 * here it is hidden too. A value with nothing to hide is shown exactly as stored.
 */
export function maskVariableValue(key: string, value: string): string {
  let parsed: Json;
  try {
    parsed = JSON.parse(value) as Json;
  } catch {
    return isSensitiveKey(key) ? MASK : value;
  }
  const redacted = redact(parsed, key);
  return JSON.stringify(redacted) === JSON.stringify(parsed)
    ? value
    : JSON.stringify(redacted);
}
