import { defineConfig } from "vitest/config";

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (the "poekhali-source" export condition), not dist.
  ssr: { resolve: { conditions: ["poekhali-source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "dags/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // In-process tests play both the web tier and the worker, which share this key (see INTERNAL_KEY_ENV).
    env: { POEKHALI_INTERNAL_KEY: "unit-tests-internal-key-0123456789abcdef" },
  },
});
