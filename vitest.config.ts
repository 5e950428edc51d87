import { defineConfig } from 'vitest/config';

// One project per package. Tests resolve workspace packages to their TypeScript source
// through the `@vnfkit/source` export condition, so no build is needed before testing.
const shared = {
  resolve: { conditions: ['@vnfkit/source'] },
  ssr: { resolve: { conditions: ['@vnfkit/source'] } },
};

export default defineConfig({
  test: {
    projects: [
      { ...shared, test: { name: 'protocol', root: 'packages/protocol', include: ['test/**/*.test.ts'] } },
      { ...shared, test: { name: 'vnfm-sdk', root: 'packages/vnfm-sdk', include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 } },
      { ...shared, test: { name: 'ems-agent', root: 'packages/ems-agent', include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 } },
      { ...shared, test: { name: 'generic-vnfm', root: 'examples/generic-vnfm', include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
    ],
  },
});
