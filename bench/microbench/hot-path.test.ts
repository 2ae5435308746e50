import { describe, expect, it } from "vitest";
import { runHotPathBench } from "./hot-path.js";

describe("hot-path micro-benchmarks", () => {
  it("every task runs to completion (figures themselves are not asserted)", async () => {
    const bench = await runHotPathBench(20);
    expect(bench.tasks.length).toBeGreaterThanOrEqual(7);
    for (const task of bench.tasks) expect(task.result?.state, task.name).toBe("completed");
  });
});
