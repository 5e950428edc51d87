#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createAgent } from './agent.js';
import { DEFAULT_CONFIG_SEARCH_PATH, maskConfig, readConfigSources, resolveConfig } from './config.js';
import type { LoadConfigOptions, ResolvedEmsConfig } from './config.js';
import { configProblems, configSummary } from './errors.js';
import { loadLazyModules } from './internal/lazy-modules.js';
import { createRootLogger } from './logger.js';
import { packageVersion } from './version.js';

const HELP = `Usage: vnfkit-ems [options]

The vnfkit EMS agent: registers this VM with the VNFM over AMQP and runs its lifecycle scripts.

Options:
  -c, --config FILE   read only FILE (INI, section [ems]) instead of the default files:
                      ${DEFAULT_CONFIG_SEARCH_PATH.join('\n                      ')}
                      (later files win; VNFKIT_EMS_<KEY> environment variables win over files)
      --check-config  print the effective configuration (secrets masked) and exit;
                      exits 2 when the configuration is invalid, 1 when the installation
                      is broken (a module the agent loads on first use is missing)
  -V, --version       print the version and exit
  -h, --help          print this help and exit

Documentation: ${documentation()}`;

/** The agent's documentation: the copy installed beside this program (npm package, .deb, tarball), and online. */
function documentation(): string {
  const online = 'https://github.com/vnfkit/vnfkit/blob/main/docs/ems.md';
  const local = fileURLToPath(new URL('ems.md', import.meta.url));
  return existsSync(local) ? `${local} (online: ${online})` : online;
}

function printConfigError(error: unknown): void {
  process.stderr.write(`vnfkit-ems: ${configSummary(error)}\n`);
  for (const problem of configProblems(error)) process.stderr.write(`  - ${problem}\n`);
}

async function checkConfig(options: LoadConfigOptions): Promise<number> {
  try {
    const sources = await readConfigSources(options);
    const config = resolveConfig(sources.values);
    const report = { files: sources.files, environment: sources.envKeys, warnings: sources.warnings, config: maskConfig(config) };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } catch (error) {
    printConfigError(error);
    return 2;
  }
  // What the daemon imports only on first use (a malformed command, SAVE_VNFR_DEPENDENCY, CLONE_SCRIPTS):
  // a copy of the program without them must fail here, not at the first such command.
  try {
    await loadLazyModules();
  } catch (error) {
    process.stderr.write(`vnfkit-ems: broken installation: ${(error as Error).message}\n`);
    return 1;
  }
  return 0;
}

async function run(options: LoadConfigOptions): Promise<number> {
  let config: ResolvedEmsConfig;
  let warnings: string[];
  try {
    const sources = await readConfigSources(options);
    config = resolveConfig(sources.values);
    warnings = sources.warnings;
  } catch (error) {
    printConfigError(error);
    return 2;
  }
  const logger = createRootLogger(config);
  for (const warning of warnings) logger.warn({ warning }, 'config warning');
  const agent = await createAgent({ config, logger });
  let stopping = false;
  const done = new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting for the running command');
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'shutting down: finishing the running command first');
      agent.close().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while closing');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  try {
    await agent.start();
  } catch (error) {
    logger.fatal({ err: error }, 'agent failed to start');
    return 1;
  }
  return done;
}

async function main(argv: string[]): Promise<number> {
  let values: { config?: string; 'check-config'?: boolean; version?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        'check-config': { type: 'boolean' },
        version: { type: 'boolean', short: 'V' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`vnfkit-ems: ${(error as Error).message}\n\n${HELP}\n`);
    return 64;
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`vnfkit-ems ${packageVersion()}\n`);
    return 0;
  }
  const options: LoadConfigOptions = values.config !== undefined ? { file: values.config } : {};
  return values['check-config'] ? checkConfig(options) : run(options);
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`vnfkit-ems: unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
  process.exit(70);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`vnfkit-ems: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(70);
  },
);
