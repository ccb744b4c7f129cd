import { FormulaSyntaxError, tokenize } from "./formula-lexer.js";
import type { Token } from "./formula-lexer.js";

/** A value a formula computes: text, number, boolean, or blank. */
export type FormulaValue = string | number | boolean | null;

/** A parsed formula, evaluated against one record's cells. */
export type Formula = (
  cell: (fieldName: string) => FormulaValue,
  recordId: string,
) => FormulaValue;

type Node = (
  cell: (name: string) => FormulaValue,
  recordId: string,
) => FormulaValue;

const BINARY: Record<string, number> = {
  "=": 1,
  "!=": 1,
  "<": 1,
  ">": 1,
  "<=": 1,
  ">=": 1,
  "&": 2,
  "+": 3,
  "-": 3,
  "*": 4,
  "/": 4,
};

const asText = (v: FormulaValue): string =>
  v === null ? "" : typeof v === "boolean" ? (v ? "1" : "0") : String(v);
const asNumber = (v: FormulaValue): number =>
  v === null || v === "" ? 0 : typeof v === "boolean" ? (v ? 1 : 0) : Number(v);

/** Tells whether a formula result selects a record, as Airtable does: not 0, not empty, not false. */
export function truthy(value: FormulaValue): boolean {
  return !(
    value === null ||
    value === false ||
    value === "" ||
    value === 0 ||
    Number.isNaN(value)
  );
}

function compare(op: string, a: FormulaValue, b: FormulaValue): boolean {
  const numeric =
    (typeof a === "number" || typeof b === "number") &&
    !Number.isNaN(asNumber(a)) &&
    !Number.isNaN(asNumber(b));
  const [x, y]: [string | number, string | number] = numeric
    ? [asNumber(a), asNumber(b)]
    : [asText(a), asText(b)];
  if (op === "=") return x === y;
  if (op === "!=") return x !== y;
  if (op === "<") return x < y;
  if (op === ">") return x > y;
  if (op === "<=") return x <= y;
  return x >= y;
}

const FUNCTIONS: Record<
  string,
  (args: FormulaValue[], recordId: string) => FormulaValue
> = {
  AND: (args) => args.every(truthy),
  OR: (args) => args.some(truthy),
  NOT: (args) => !truthy(args[0] ?? null),
  TRUE: () => true,
  FALSE: () => false,
  BLANK: () => null,
  IF: (args) =>
    truthy(args[0] ?? null) ? (args[1] ?? null) : (args[2] ?? null),
  LOWER: (args) => asText(args[0] ?? null).toLowerCase(),
  UPPER: (args) => asText(args[0] ?? null).toUpperCase(),
  TRIM: (args) => asText(args[0] ?? null).trim(),
  LEN: (args) => asText(args[0] ?? null).length,
  CONCATENATE: (args) => args.map(asText).join(""),
  FIND: (args) => asText(args[1] ?? null).indexOf(asText(args[0] ?? null)) + 1,
  SEARCH: (args) =>
    asText(args[1] ?? null)
      .toLowerCase()
      .indexOf(asText(args[0] ?? null).toLowerCase()) + 1,
  VALUE: (args) => asNumber(args[0] ?? null),
  RECORD_ID: (_args, recordId) => recordId,
};

/** Parses a filterByFormula subset: {field}, literals, = != < > <= >= & + - * /, AND, OR, NOT, IF, TRUE(), FALSE() and a few text functions. */
export function parseFormula(
  text: string,
  knownField: (name: string) => boolean,
): Formula {
  const tokens = tokenize(text);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const expectPunct = (char: string) => {
    const token = tokens[i++];
    if (token?.kind !== "punct" || token.char !== char)
      throw new FormulaSyntaxError(`expected "${char}"`);
  };

  const primary = (): Node => {
    const token = tokens[i++];
    if (token === undefined)
      throw new FormulaSyntaxError("unexpected end of formula");
    if (token.kind === "number" || token.kind === "string")
      return () => token.value;
    if (token.kind === "field") {
      if (!knownField(token.name)) throw new UnknownFormulaField(token.name);
      return (cell) => cell(token.name);
    }
    if (token.kind === "op" && token.op === "-") {
      const inner = primary();
      return (cell, id) => -asNumber(inner(cell, id));
    }
    if (token.kind === "punct" && token.char === "(") {
      const inner = expression(0);
      expectPunct(")");
      return inner;
    }
    if (token.kind === "name") {
      const next = peek();
      if (next?.kind !== "punct" || next.char !== "(") {
        if (!knownField(token.name)) throw new UnknownFormulaField(token.name);
        return (cell) => cell(token.name);
      }
      const fn = FUNCTIONS[token.name.toUpperCase()];
      if (fn === undefined)
        throw new FormulaSyntaxError(`unknown function ${token.name}`);
      i += 1;
      const args: Node[] = [];
      while (!(
        peek()?.kind === "punct" && (peek() as { char: string }).char === ")"
      )) {
        args.push(expression(0));
        if (
          peek()?.kind === "punct" &&
          (peek() as { char: string }).char === ","
        )
          i += 1;
        else break;
      }
      expectPunct(")");
      return (cell, id) =>
        fn(
          args.map((arg) => arg(cell, id)),
          id,
        );
    }
    throw new FormulaSyntaxError("unexpected token");
  };

  const expression = (minPrecedence: number): Node => {
    let left = primary();
    for (;;) {
      const token = peek();
      const precedence = token?.kind === "op" ? BINARY[token.op] : undefined;
      if (
        token?.kind !== "op" ||
        precedence === undefined ||
        precedence <= minPrecedence
      )
        return left;
      i += 1;
      const right = expression(precedence);
      const l = left;
      const op = token.op;
      left = (cell, id) => {
        const a = l(cell, id);
        const b = right(cell, id);
        if (BINARY[op] === 1) return compare(op, a, b);
        if (op === "&") return asText(a) + asText(b);
        if (op === "+") return asNumber(a) + asNumber(b);
        if (op === "-") return asNumber(a) - asNumber(b);
        if (op === "*") return asNumber(a) * asNumber(b);
        return asNumber(a) / asNumber(b);
      };
    }
  };

  const formula = expression(0);
  if (i < tokens.length)
    throw new FormulaSyntaxError("unexpected text after the formula");
  return formula;
}

/** Thrown when a formula names a field the table does not have. */
export class UnknownFormulaField extends Error {
  override name = "UnknownFormulaField";
  constructor(readonly field: string) {
    super(`Unknown field names: ${field}`);
  }
}

export { FormulaSyntaxError };
