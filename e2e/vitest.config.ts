import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["e2e/**/*.e2e.test.ts"],
    // Each file starts its own restate-server; two at once is what 2 cores carry.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 120_000,
    // In-process workers log every invocation at INFO otherwise.
    env: { RESTATE_LOGGING: "WARN" },
    hookTimeout: 120_000,
  },
});
