import {
  AirtableError,
  AirtableHook,
  AirtableSchemaError,
  TG_ACTIONS_FIELDS,
  checkTableSchema,
} from "@poekhali/airtable";
import { ConfigError } from "../errors.js";
import { UsageError } from "./usage-error.js";

const HELP = `Usage: poekhali airtable check

Checks, through Airtable's metadata API, that AIRTABLE_TABLE (default tg_actions) of AIRTABLE_BASE_ID has every column
the reference DAG writes, with the right types — the check its first task runs. Needs AIRTABLE_TOKEN with
schema.bases:read (without it, the check is skipped with a warning); AIRTABLE_ENDPOINT_URL points elsewhere.`;

/** `poekhali airtable check`: prints one line; exit 0 when the table fits or the check was skipped, 1 otherwise. */
export async function airtableCommand(
  args: readonly string[],
  print: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    print(HELP);
    return 0;
  }
  if (args[0] !== "check")
    throw new UsageError(
      `unknown airtable command "${args[0] ?? ""}"\n\n${HELP}`,
    );
  const token = env.AIRTABLE_TOKEN?.trim();
  const baseId = env.AIRTABLE_BASE_ID?.trim();
  if (!token)
    throw new ConfigError(
      "AIRTABLE_TOKEN",
      "is required: an Airtable personal access token (pat…)",
    );
  if (!baseId)
    throw new ConfigError(
      "AIRTABLE_BASE_ID",
      "is required: the base's id (app…)",
    );
  const table = env.AIRTABLE_TABLE?.trim() || "tg_actions";
  const endpointUrl = env.AIRTABLE_ENDPOINT_URL?.trim() || undefined;
  const hook = new AirtableHook({
    token,
    baseId,
    ...(endpointUrl ? { endpointUrl } : {}),
  });
  try {
    const result = await checkTableSchema(hook, table, TG_ACTIONS_FIELDS);
    print(
      result.checked
        ? `ok: base ${baseId}, table "${table}" has every column the DAG writes`
        : `warning: ${result.reason}`,
    );
    return 0;
  } catch (error) {
    if (!(
      error instanceof AirtableSchemaError || error instanceof AirtableError
    ))
      throw error;
    print(`error: ${error.message}`);
    return 1;
  }
}
