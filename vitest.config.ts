import { defineConfig } from 'vitest/config';

// One project per package, plus "soak" (long hostile-input and load tests, `pnpm test:soak`).
// Tests resolve workspace packages to their TypeScript source through the `@vnfkit/source`
// export condition, so no build is needed before testing.
const shared = {
  resolve: { conditions: ['@vnfkit/source'] },
  ssr: { resolve: { conditions: ['@vnfkit/source'] } },
};

/** Soak and cluster tests live beside the package tests but only run in their own projects. */
const SOAK_FILES = '**/*.soak.test.ts';
const CLUSTER_FILES = '**/*.cluster.test.ts';
const exclude = ['**/node_modules/**', '**/dist/**', SOAK_FILES, CLUSTER_FILES];

export default defineConfig({
  test: {
    projects: [
      { ...shared, test: { name: 'protocol', root: 'packages/protocol', include: ['test/**/*.test.ts'], exclude } },
      {
        ...shared,
        test: {
          name: 'transport',
          root: 'packages/transport',
          include: ['test/**/*.test.ts'],
          exclude,
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'vnfm-sdk',
          root: 'packages/vnfm-sdk',
          include: ['test/**/*.test.ts'],
          exclude,
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'ems-agent',
          root: 'packages/ems-agent',
          include: ['test/**/*.test.ts'],
          exclude,
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'generic-vnfm',
          root: 'examples/generic-vnfm',
          include: ['test/**/*.test.ts'],
          exclude,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        ...shared,
        test: {
          // `pnpm test:soak`; size from VNFKIT_SOAK_SCALE (`full` by default, `ci` in scripts/test).
          // Files run one after another: they may change broker-global state (e.g. a memory alarm)
          // and each one measures memory and time, which neighbours would disturb.
          name: 'soak',
          root: '.',
          include: ['packages/*/test/**/*.soak.test.ts', 'examples/*/test/**/*.soak.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', CLUSTER_FILES],
          fileParallelism: false,
          testTimeout: 20 * 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        ...shared,
        test: {
          // `pnpm test:cluster`: a 3-node RabbitMQ cluster from scripts/cluster (started by the tests, as root),
          // one file at a time (they stop and start its nodes). Size from VNFKIT_CLUSTER_SCALE (`full` or `ci`).
          name: 'cluster',
          root: '.',
          include: ['packages/*/test/**/*.cluster.test.ts', 'examples/*/test/**/*.cluster.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          fileParallelism: false,
          testTimeout: 10 * 60_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
