/**
 * A string as a literal of Restate's SQL (DataFusion's generic dialect): quoted, with `'` doubled, the only escape it
 * knows (a backslash is an ordinary character there), so a DAG id, run id or key never ends the literal early.
 */
export const sqlLiteral = (value: string): string =>
  `'${value.replaceAll("'", "''")}'`;
