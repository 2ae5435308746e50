import { type CompiledTemplate, type Placeholder, TemplateError } from "./template.js";

/**
 * The binary protocol's view of a statement template: the SQL a connection prepares, with `?` where
 * the template has a value placeholder, and the values each execution binds, in placeholder order.
 * {table} names a table, which a parameter cannot do: it stays in the text, so a template that uses
 * it is prepared once per table (sbtest1..N), as sysbench 1.0's oltp_common.lua does.
 */

/** A value an execution binds. */
export type BoundSlot = Exclude<Placeholder, "table">;

/** How a parameter is sent: an integer as MYSQL_TYPE_LONGLONG, a string as MYSQL_TYPE_VAR_STRING. */
export type ParamType = "int" | "string";

export interface BoundParam {
  slot: BoundSlot;
  type: ParamType;
}

/** A template ready to prepare: its SQL with `?`, split where {table} goes. */
export interface PreparedTemplate {
  /** The SQL with `?` for every value, in pieces joined by the table number. */
  pieces: string[];
  params: BoundParam[];
  /** Whether the SQL names the table (one statement per table), or not (one statement). */
  perTable: boolean;
}

/** One statement a connection prepares: its text, and the name the scenario gave it (for errors). */
export interface PreparedText {
  sql: string;
  name: string;
  params: BoundParam[];
}

type Quote = "'" | '"' | "`" | null;

/**
 * Where the SQL text leaves a quote after `text`, starting in `quote`. Quotes are ended by the same
 * quote; doubled quotes and backslash escapes inside a string stay in it.
 */
function quoteAfter(text: string, start: Quote): { quote: Quote; openedAt: number } {
  let quote = start;
  let openedAt = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote === null) {
      if (ch === "'" || ch === '"' || ch === "`") {
        quote = ch;
        openedAt = i;
      }
    } else if (ch === "\\" && quote !== "`") {
      i++;
    } else if (ch === quote) {
      if (text[i + 1] === quote) i++;
      else quote = null;
    }
  }
  return { quote, openedAt };
}

/**
 * The prepared form of a template. A placeholder written as a whole string literal ('{c}') becomes
 * a string parameter without its quotes; a bare {id} or {k} an integer one. A placeholder that is
 * only part of a literal ('x{c}') or of a quoted name cannot be a parameter: refused, naming it.
 */
export function prepareTemplate(template: CompiledTemplate): PreparedTemplate {
  const { parts, slots } = template;
  const text = [...parts];
  const params: BoundParam[] = [];
  const pieces: string[] = [];
  let current = "";
  let quote: Quote = null;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i] as Placeholder;
    const before = text[i] as string;
    const after = quoteAfter(before, quote);
    quote = after.quote;
    if (slot === "table") {
      pieces.push(current + before);
      current = "";
      continue;
    }
    if (quote === null) {
      current += `${before}?`;
      params.push({ slot, type: slot === "id" || slot === "k" ? "int" : "string" });
      continue;
    }
    const next = text[i + 1] as string;
    const wholeLiteral =
      quote !== "`" && after.openedAt === before.length - 1 && next.startsWith(quote) && next[1] !== quote;
    if (!wholeLiteral) {
      throw new TemplateError(
        `{${slot}} is part of a ${quote === "`" ? "quoted name" : "longer string"}; a prepared statement takes a whole value in its place: write '{${slot}}' alone between quotes, or use protocol: text`,
      );
    }
    // '{c}' -> ?: the quotes go, the literal is closed.
    current += `${before.slice(0, -1)}?`;
    text[i + 1] = next.slice(1);
    quote = null;
    params.push({ slot, type: "string" });
  }
  pieces.push(current + (text[slots.length] as string));
  return { pieces, params, perTable: pieces.length > 1 };
}

/** The SQL a connection prepares for `table` (1-based). */
export function preparedSql(prepared: PreparedTemplate, table: number): string {
  return prepared.pieces.join(String(table));
}
