import { defineConfig } from 'tsup';
import type { Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * Packages the daemon loads only on first use (`await import('yaml')`, `execa`, the protocol's zod
 * schemas) stay external, so they are neither in the start-up file nor parsed at start; they load
 * from `node_modules` like any dependency. Static imports are bundled.
 */
const lazyImportsStayExternal: Plugin = {
  name: 'lazy-imports-stay-external',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined));
  },
};

// Two builds:
// - the library (`dist/index.js` + types): dependencies stay external, so `@vnfkit/protocol` errors and
//   pino loggers are shared with the caller;
// - the daemon (`dist/cli.js`): everything it needs at start bundled into one file, so start-up reads
//   one module instead of a few hundred. Measured by `pnpm bench` (agent footprint, docs/performance.md).
export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: { entry: 'src/index.ts' },
    // No `clean`: both builds write to dist/ at the same time; the build script empties it first.
    sourcemap: true,
    target: 'node20',
  },
  {
    entry: ['src/cli.ts'],
    format: ['esm'],
    noExternal: [/.*/],
    minify: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    // Bundled CommonJS dependencies (amqplib, pino) call require() for Node built-ins.
    banner: { js: "import { createRequire as __vnfkitCreateRequire } from 'node:module'; const require = __vnfkitCreateRequire(import.meta.url);" },
    esbuildPlugins: [lazyImportsStayExternal],
    esbuildOptions(options) {
      // Workspace packages from their TypeScript sources, so @vnfkit/protocol is tree-shaken per module.
      options.conditions = ['@vnfkit/source'];
    },
  },
]);
