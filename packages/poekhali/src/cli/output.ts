import { cell, table } from "./table.js";
import { UsageError } from "./usage-error.js";

/** How a command prints what it found: Airflow's `--output table|json|plain` (`--json` is `--output json`). */
export type OutputFormat = "table" | "json" | "plain";

/** The output format the flags ask for; a misspelt one is a usage error naming the choices. */
export function outputFormat(values: {
  output?: string | undefined;
  json?: boolean | undefined;
}): OutputFormat {
  const asked = values.json ? "json" : (values.output ?? "table");
  if (asked === "table" || asked === "json" || asked === "plain") return asked;
  throw new UsageError(`--output must be table, json or plain, not "${asked}"`);
}

/** Prints rows in the chosen format: JSON objects keyed by the header, an aligned table, or tab-separated lines. */
export function render(
  format: OutputFormat,
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
): string {
  if (format === "json")
    return JSON.stringify(
      rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))),
      null,
      2,
    );
  if (format === "plain")
    return rows.map((r) => r.map(cell).join("\t")).join("\n");
  return table(header, rows);
}

/** The `--output`/`-o` and `--json` options every listing command takes. */
export const OUTPUT_OPTIONS = {
  output: { type: "string", short: "o" },
  json: { type: "boolean", default: false },
} as const;
