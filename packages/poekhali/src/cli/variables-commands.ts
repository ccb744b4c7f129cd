import { parseArgs } from "node:util";
import { ApiClient } from "./api-client.js";
import { OUTPUT_OPTIONS, outputFormat, render } from "./output.js";
import { CommandFailed, UsageError } from "./usage-error.js";

/** Airflow's `VariableResponse`, as the CLI reads it. */
interface VariableView {
  key: string;
  value: string;
  description: string | null;
}

/** Help for `poekhali variables`. */
export const VARIABLES_HELP = `Usage:
  poekhali variables list [-o table|json|plain]              every stored Variable's key and description
  poekhali variables get <key> [-d DEFAULT] [-j]              its value (-j: parsed as JSON and printed as JSON)
  poekhali variables set <key> <value> [--description TEXT] [-j]
                                                             store it, replacing what was there (-j: the value is JSON)
  poekhali variables delete <key>                            delete it

Variables live in the running app's store (Restate), shared by every worker; a task reads AIRFLOW_VAR_<KEY> from its
environment first. Values of keys that look secret (password, token, api_key, ...) are shown as *** by the API.

Options: -o/--output table|json|plain (--json = -o json), --url URL (default POEKHALI_URL, else
http://127.0.0.1:$POEKHALI_PORT), --help`;

/** Runs `poekhali variables <verb> ...` (Airflow's `airflow variables` verbs) against the app's /api/v2; returns the exit code. */
export async function variablesCommand(
  argv: string[],
  print: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      default: { type: "string", short: "d" },
      description: { type: "string" },
      "json-value": { type: "boolean", short: "j", default: false },
      ...OUTPUT_OPTIONS,
      url: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [verb, key, value, ...extra] = positionals;
  if (values.help || !verb) {
    print(VARIABLES_HELP);
    return values.help ? 0 : 2;
  }
  const format = outputFormat(values);
  const api = ApiClient.resolve(values.url);
  const base = "/api/v2/variables";

  if (verb === "list") {
    const all: VariableView[] = [];
    // The API gives at most 100 a page: read them all.
    for (;;) {
      const page = await api.request<{
        variables: VariableView[];
        total_entries: number;
      }>("GET", `${base}?order_by=key&limit=100&offset=${all.length}`);
      all.push(...page.variables);
      if (page.variables.length === 0 || all.length >= page.total_entries)
        break;
    }
    print(
      render(
        format,
        ["key", "description"],
        all.map((v) => [v.key, v.description]),
      ),
    );
    return 0;
  }

  if (!key)
    throw new UsageError(
      `poekhali variables ${verb} needs a <key>\n\n${VARIABLES_HELP}`,
    );
  const path = `${base}/${encodeURIComponent(key)}`;

  if (verb === "get") {
    let found: VariableView;
    try {
      found = await api.request<VariableView>("GET", path);
    } catch (error) {
      if (
        values.default !== undefined &&
        error instanceof CommandFailed &&
        error.message.includes("was not found")
      ) {
        print(values.default);
        return 0;
      }
      throw error;
    }
    if (!values["json-value"]) {
      print(found.value);
      return 0;
    }
    try {
      print(JSON.stringify(JSON.parse(found.value), null, 2));
    } catch {
      throw new CommandFailed(`Variable ${key} is not JSON`);
    }
    return 0;
  }

  if (verb === "set") {
    if (value === undefined || extra.length > 0)
      throw new UsageError(
        `poekhali variables set needs <key> and one <value> (quote a value with spaces)\n\n${VARIABLES_HELP}`,
      );
    let json: unknown = value;
    if (values["json-value"]) {
      try {
        json = JSON.parse(value);
      } catch (error) {
        throw new UsageError(
          `-j: the value is not JSON: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    // As `airflow variables set`: an upsert, whose description is the one given (none clears it).
    const body = { key, value: json, description: values.description ?? null };
    try {
      await api.request("POST", base, body);
    } catch (error) {
      if (!(
        error instanceof CommandFailed && /already exists/.test(error.message)
      ))
        throw error;
      await api.request("PATCH", path, body);
    }
    print(`Variable ${key} created`);
    return 0;
  }

  if (verb === "delete") {
    await api.request("DELETE", path);
    print(`Variable ${key} deleted`);
    return 0;
  }
  throw new UsageError(`unknown verb "variables ${verb}"\n\n${VARIABLES_HELP}`);
}
