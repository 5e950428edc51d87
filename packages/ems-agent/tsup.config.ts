import { defineConfig } from 'tsup';
import type { Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * Packages the daemon loads only on first use (src/internal/lazy-modules.ts: `execa`, the protocol's
 * zod schemas) are neither in the start-up file nor parsed at start: each is bundled alone
 * into `dist/lazy/<name>.js` (entries `src/lazy/<name>.ts`) and the daemon's `import()` of the package
 * is pointed at that file. So `dist/` runs without any `node_modules` (installed by systemd/install.sh
 * as a copy of the package) and still reads one module at start. A lazily imported package without
 * such a bundle fails the build.
 */
const LAZY_BUNDLES: Readonly<Record<string, string>> = { '@vnfkit/protocol': 'protocol', execa: 'execa' };

const lazyImportsToBundles: Plugin = {
  name: 'lazy-imports-to-bundles',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const bundle = LAZY_BUNDLES[args.path];
      if (bundle === undefined)
        return { errors: [{ text: `import('${args.path}') has no dist/lazy bundle: add it to LAZY_BUNDLES and src/lazy/` }] };
      return { path: `./lazy/${bundle}.js`, external: true };
    });
  },
};

/** Bundled CommonJS dependencies (amqplib, pino, execa's) call require() for Node built-ins. */
const requireBanner = {
  js: "import { createRequire as __vnfkitCreateRequire } from 'node:module'; const require = __vnfkitCreateRequire(import.meta.url);",
};

// Four builds:
// - the library (`dist/index.js` + types): dependencies stay external, so `@vnfkit/protocol` errors and
//   pino loggers are shared with the caller;
// - the same library for require() (`dist/index.cjs` + `dist/index.d.cts`), for CommonJS callers;
// - the daemon (`dist/cli.js`): everything it needs at start bundled into one file, so start-up reads
//   one module instead of a few hundred. Measured by `pnpm bench` (agent footprint, docs/performance.md);
// - what the daemon loads on first use (`dist/lazy/*.js`), one self-contained file per package.
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
    entry: ['src/index.ts'],
    format: ['cjs'],
    dts: { entry: 'src/index.ts' },
    sourcemap: true,
    target: 'node20',
    // `import.meta.url` (version.ts, user-data.ts: files beside dist/) from `__filename` in CommonJS.
    shims: true,
  },
  {
    entry: ['src/cli.ts'],
    format: ['esm'],
    noExternal: [/.*/],
    minify: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    banner: requireBanner,
    esbuildPlugins: [lazyImportsToBundles],
    esbuildOptions(options) {
      // Workspace packages from their TypeScript sources, so @vnfkit/protocol is tree-shaken per module.
      options.conditions = ['@vnfkit/source'];
    },
  },
  {
    entry: Object.fromEntries(Object.values(LAZY_BUNDLES).map((name) => [`lazy/${name}`, `src/lazy/${name}.ts`])),
    format: ['esm'],
    noExternal: [/.*/],
    splitting: false,
    minify: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    banner: requireBanner,
    esbuildOptions(options) {
      options.conditions = ['@vnfkit/source'];
    },
  },
]);
