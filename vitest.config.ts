import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Notebook and kernel tests spawn processes; two cores, so keep parallelism modest.
    maxWorkers: 2,
    env: { LATENTLAB_SMOKE: "1" },
  },
});
