// Entry of dist/lazy/protocol.js: `@vnfkit/protocol` bundled alone, which the daemon (dist/cli.js) imports on first use (tsup.config.ts).
export * from '@vnfkit/protocol';
