/**
 * How a workload's statements go to the server. Apart from schema.ts so the run and the workers
 * read it without loading TypeBox (see lazy-loads.test.ts).
 */

/** SQL text (COM_QUERY), or prepared statements (COM_STMT_PREPARE once, then COM_STMT_EXECUTE). */
export type StatementProtocol = "text" | "binary";
export const STATEMENT_PROTOCOLS: readonly StatementProtocol[] = ["text", "binary"];

/** The workload's protocol; text unless it says binary. */
export function protocolOf(workload: { protocol?: StatementProtocol | undefined }): StatementProtocol {
  return workload.protocol ?? "text";
}

/** The protocol in words, for the terminal's and the report's description of a run. */
export function protocolWords(protocol: StatementProtocol): string {
  return protocol === "binary" ? "binary protocol (prepared statements)" : "text protocol";
}
