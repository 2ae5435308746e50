import { describe, expect, it } from "vitest";
import { TargetError } from "../util/errors.js";
import type { ServerFacts } from "./facts.js";
import { PREPARED_STATEMENTS_MARGIN, preflightServer } from "./preflight.js";

function facts(variables: Record<string, string>): ServerFacts {
  return { version: "10.11.19-MariaDB", flavor: "mariadb", flavorSource: "test", variables };
}

describe("preflightServer: prepared statements (binary protocol)", () => {
  const server = facts({ max_connections: "1000", max_prepared_stmt_count: "16382" });

  it("passes a run whose statements fit max_prepared_stmt_count with the margin", () => {
    expect(() => preflightServer(server, 16, "db", 16_382 - PREPARED_STATEMENTS_MARGIN)).not.toThrow();
    // The text protocol prepares nothing.
    expect(() => preflightServer(facts({ max_prepared_stmt_count: "0" }), 16, "db")).not.toThrow();
  });

  it("refuses one that does not, in one line with the numbers and what to change", () => {
    const run = () => preflightServer(server, 100, "mysql://db:3306", 100 * 4 * 250);
    expect(run).toThrow(TargetError);
    expect(run).toThrow(
      "mysql://db:3306: max_prepared_stmt_count is 16,382 but this run's binary protocol prepares 100,000 statements (each connection its own, one per table for a statement naming {table}) and leaves room for 64; raise max_prepared_stmt_count on the server, lower --connections or --tables, or give --protocol text",
    );
  });
});
