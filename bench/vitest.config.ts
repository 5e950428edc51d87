import { defineConfig } from 'vitest/config';

// The benchmarks' smoke tests (`pnpm --filter @vnfkit/bench test`); like the packages' tests they run on the
// TypeScript sources of the workspace packages. The Generic VNFM child and the agents still run from dist.
export default defineConfig({
  resolve: { conditions: ['@vnfkit/source'] },
  ssr: { resolve: { conditions: ['@vnfkit/source'] } },
  test: { include: ['test/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 60_000 },
});
