// The demo network service: an iperf-like `server` VNF and a `client` VNF that depends on the server's IP.
import type { Event, NetworkServiceDescriptor } from '@vnfkit/protocol';

/** Every script records the environment it saw (minus the agent's own) and says what it did. */
const record = (what: string): string => `#!/bin/bash
set -e
env | grep -E '^(hostname|private|server_|removing_|cause|port|role|SCRIPTS_PATH)' | sort > "$SCRIPTS_PATH/env-$(basename "$0" .sh).txt"
echo "${what} on $hostname"
`;

/** Scripts per VNF package. */
export const PACKAGES: Record<string, Record<string, string>> = {
  'iperf-server': {
    'install.sh': record('installed iperf server'),
    'start.sh': `${record('started iperf server')}echo "listening on $private:$port"\n`,
    'terminate.sh': record('stopped iperf server'),
    // The server's load for the health-check plug-in's scale-in choice: its sessions (the demo writes the file).
    'load.sh': '#!/bin/bash\ncat "$SCRIPTS_PATH/sessions" 2>/dev/null || echo 0\n',
  },
  'iperf-client': {
    'install.sh': record('installed iperf client'),
    'server_configure.sh': `${record('configured client')}echo "$server_private $server_hostname" >> "$SCRIPTS_PATH/servers.txt"\necho "client will reach $server_hostname at $server_private:$port"\n`,
    'start.sh': record('started iperf client'),
    'terminate.sh': record('stopped iperf client'),
  },
};

/** A START script that fails, for the break → update → resume part of the demo. */
export const BROKEN_START = '#!/bin/bash\necho "cannot reach any server" >&2\nexit 3\n';

const events = (lifecycle: Partial<Record<Event, string[]>>): { event: Event; lifecycle_events: string[] }[] =>
  Object.entries(lifecycle).map(([event, lifecycle_events]) => ({ event: event as Event, lifecycle_events: lifecycle_events ?? [] }));
const vdu = (name: string, scale: number) => [
  {
    name: `${name}-vdu`,
    vm_image: ['ubuntu-20.04'],
    scale_in_out: scale,
    vimInstanceName: ['local'],
    vnfc: [{ connection_point: [{ virtual_link_reference: 'private' }] }],
  },
];

/** The NSD, in the shape Open Baton's REST API takes; `healthPort`: the server's `health_port` (health-check plug-in). */
export function iperfNsd(endpoint: string, options: { healthPort?: number } = {}): NetworkServiceDescriptor {
  const health = options.healthPort === undefined ? [] : [{ confKey: 'health_port', value: String(options.healthPort) }];
  return {
    name: 'iperf-ns',
    vendor: 'vnfkit',
    version: '1.0',
    vld: [{ name: 'private' }],
    vnfd: [
      {
        name: 'iperf-server',
        type: 'server',
        endpoint,
        vendor: 'vnfkit',
        version: '1.0',
        configurations: {
          name: 'server-conf',
          configurationParameters: [{ confKey: 'port', value: '5001' }, { confKey: 'role', value: 'server' }, ...health],
        },
        lifecycle_event: events({ INSTANTIATE: ['install.sh'], START: ['start.sh'], TERMINATE: ['terminate.sh'] }),
        vdu: vdu('server', 3),
      },
      {
        name: 'iperf-client',
        type: 'client',
        endpoint,
        vendor: 'vnfkit',
        version: '1.0',
        configurations: {
          name: 'client-conf',
          configurationParameters: [
            { confKey: 'port', value: '5001' },
            { confKey: 'role', value: 'client' },
          ],
        },
        lifecycle_event: events({
          INSTANTIATE: ['install.sh'],
          CONFIGURE: ['server_configure.sh'],
          START: ['start.sh'],
          TERMINATE: ['terminate.sh'],
        }),
        vdu: vdu('client', 1),
      },
    ],
    vnf_dependency: [{ source: { name: 'iperf-server' }, target: { name: 'iperf-client' }, parameters: ['private', 'hostname'] }],
  };
}
