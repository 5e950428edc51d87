// Entry of dist/lazy/yaml.js: `yaml` bundled alone, which the daemon (dist/cli.js) imports on first use (tsup.config.ts).
// yaml's Node entry is CommonJS: an ESM bundle of `export * from 'yaml'` would export none of its names, so they are listed.
export { parse, stringify } from 'yaml';
