/** How sysbench counts statements: SELECTs are reads; INSERT, UPDATE and DELETE are writes. */
export type StatementKind = "select" | "insert" | "update" | "delete";

export function statementKind(sql: string): StatementKind | undefined {
  const word = /^\s*([a-zA-Z]+)/.exec(sql)?.[1]?.toLowerCase();
  return word === "select" || word === "insert" || word === "update" || word === "delete" ? word : undefined;
}

export function isWrite(kind: StatementKind): boolean {
  return kind !== "select";
}
