import { defineConfig } from "vitest/config";

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (the "poekhali-source" export condition), not dist.
  ssr: { resolve: { conditions: ["poekhali-source"] } },
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["e2e/**/*.e2e.test.ts"],
    // Each file starts its own restate-server; two at once is what 2 cores carry.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 120_000,
    env: {
      // In-process workers log every invocation at INFO otherwise.
      RESTATE_LOGGING: "WARN",
      // Node processes the tests spawn (`node --import tsx e2e/…`) resolve workspace packages to sources too.
      // The consumer test, which runs the packed packages as a user would, starts its processes without it.
      NODE_OPTIONS: [process.env.NODE_OPTIONS, "--conditions=poekhali-source"]
        .filter(Boolean)
        .join(" "),
    },
    hookTimeout: 120_000,
  },
});
