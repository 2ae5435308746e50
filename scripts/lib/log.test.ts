import { afterEach, describe, expect, it, vi } from "vitest";
import { redactingLog } from "./log.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("redactingLog", () => {
  it("hides every secret, including one learnt after the log was made", () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const secrets = ["first-secret"];
    const say = redactingLog(secrets);
    say("a first-secret b later-secret");
    secrets.push("later-secret");
    say("c later-secret mysql://u:urlpass@h/db");
    expect(stderr.mock.calls.map((call) => call[0])).toEqual([
      "a *** b later-secret\n",
      "c *** mysql://u:***@h/db\n",
    ]);
  });
});
