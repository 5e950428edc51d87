import { ConfigError } from '@vnfkit/protocol';

/** The error of a test VIM whose agents need the optional peer dependency `@vnfkit/ems-agent`, which is not installed. */
export function missingAgentPackage(vim: string, cause: unknown): ConfigError {
  return new ConfigError(
    `${vim} runs vnfkit EMS agents and needs the optional peer dependency @vnfkit/ems-agent: install it (npm install --save-dev @vnfkit/ems-agent)${vim === 'LocalVim' ? ', or give LocalVim an agentCommand' : ''}`,
    { cause },
  );
}
