import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["bench/**/*.test.ts", "scripts/**/*.test.ts", "deploy/aws/test/**/*.test.ts"],
    // Tests against real servers start and load them; they are bounded by their own timeouts.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: servers under test need one of them.
    maxWorkers: 2,
    // CI reads the counts from the JSON report.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: ".vitest-results.json" },
  },
});
