import { quoteIdentifier } from "../../bench/probe/lag.js";
import type { AdminConnection } from "../../bench/target/connection.js";

/**
 * Creates the database unless it exists. Run over a connection opened without a database
 * (withAdmin's default): one that names a missing database cannot be opened.
 */
export async function createDatabaseIfMissing(conn: AdminConnection, name: string): Promise<void> {
  await conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(name)}`);
}
