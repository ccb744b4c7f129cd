/** A token of an Airtable formula. */
export type Token =
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "field"; name: string }
  | { kind: "name"; name: string }
  | { kind: "op"; op: string }
  | { kind: "punct"; char: "(" | ")" | "," };

/** Thrown for text that is not a formula. */
export class FormulaSyntaxError extends Error {
  override name = "FormulaSyntaxError";
}

const OPERATORS = [
  "!=",
  "<>",
  "<=",
  ">=",
  "=",
  "<",
  ">",
  "&",
  "+",
  "-",
  "*",
  "/",
];

/** Splits formula text into tokens: numbers, '…' or "…" strings, {field} references, names, operators. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "'" || c === '"') {
      let value = "";
      i += 1;
      while (i < text.length && text[i] !== c) {
        if (text[i] === "\\" && i + 1 < text.length) i += 1;
        value += text[i];
        i += 1;
      }
      if (i >= text.length) throw new FormulaSyntaxError("unterminated string");
      tokens.push({ kind: "string", value });
      i += 1;
    } else if (c === "{") {
      const end = text.indexOf("}", i);
      if (end < 0) throw new FormulaSyntaxError("unterminated field reference");
      tokens.push({ kind: "field", name: text.slice(i + 1, end) });
      i = end + 1;
    } else if (/[0-9.]/.test(c)) {
      const match = /^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/i.exec(text.slice(i));
      if (match === null) throw new FormulaSyntaxError(`unexpected "${c}"`);
      tokens.push({ kind: "number", value: Number(match[0]) });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
      const name = match?.[0] ?? c;
      tokens.push({ kind: "name", name });
      i += name.length;
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: "punct", char: c });
      i += 1;
    } else {
      const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
      if (op === undefined) throw new FormulaSyntaxError(`unexpected "${c}"`);
      tokens.push({ kind: "op", op: op === "<>" ? "!=" : op });
      i += op.length;
    }
  }
  return tokens;
}
