import { describe, expect, it } from "vitest";
import { errorShareFailure } from "./error-share.js";

const counts = (txns: number, errors: number) => ({
  reads: 0,
  writes: 0,
  txns,
  errors,
  rollbacks: 0,
  rows: 0,
});

describe("errorShareFailure", () => {
  it("fails a scenario whose transactions mostly failed, naming the top codes", () => {
    const problem = errorShareFailure({ counts: counts(0, 33_033), errors: { "1146": 33_033 } });
    expect(problem).toBe(
      "100.0% of the transactions failed (1146 x 33,033), more than the 10% allowed: the figures are the server's errors, not its performance",
    );
  });

  it("allows up to the bound, and a crash's lost connections among many commits", () => {
    expect(errorShareFailure({ counts: counts(900, 100), errors: { "1213": 100 } })).toBeNull();
    expect(errorShareFailure({ counts: counts(899, 101), errors: { "1213": 101 } })).toMatch(/^10\.1% /);
    expect(
      errorShareFailure({ counts: counts(5000, 16), errors: { PROTOCOL_CONNECTION_LOST: 16 } }),
    ).toBeNull();
    expect(errorShareFailure({ counts: counts(10, 0), errors: {} })).toBeNull();
  });

  it("takes its bound as given", () => {
    expect(errorShareFailure({ counts: counts(95, 5), errors: { "1205": 5 } }, 0.01)).toMatch(
      /more than the 1% allowed/,
    );
  });
});
