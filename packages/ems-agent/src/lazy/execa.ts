// Entry of dist/lazy/execa.js: `execa` bundled alone, which the daemon (dist/cli.js) imports on first use (tsup.config.ts).
export * from 'execa';
