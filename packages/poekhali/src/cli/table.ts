/** A value as one cell of text: empty for null, JSON for objects. */
export function cell(c: unknown): string {
  if (c === null || c === undefined) return "";
  if (typeof c === "string") return c;
  if (typeof c === "number" || typeof c === "boolean") return String(c);
  return JSON.stringify(c);
}

/** Formats rows as an aligned text table with a header, as Airflow's CLI prints them. */
export function table(
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
): string {
  const cells = [header, ...rows.map((r) => r.map(cell))];
  const widths = header.map((_, i) =>
    Math.max(...cells.map((r) => (r[i] ?? "").length)),
  );
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join(" | ")
      .trimEnd();
  return [
    line(cells[0]!),
    widths.map((w) => "-".repeat(w)).join("-+-"),
    ...cells.slice(1).map(line),
  ].join("\n");
}
