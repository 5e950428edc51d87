// Example lifecycle plug-in for the Generic VNFM (docs/generic-vnfm.md, "Lifecycle plug-ins"):
//  - after START (and after a scale-out's START) it checks, through each VNFC's agent, that something answers on
//    the VNF's TCP port at the VNFC's address, and fails the VNFR when it does not;
//  - on a scale-in it picks the least loaded VNFC: it asks every VNFC's agent for its load.
// Load it with `plugins: ["examples/generic-vnfm/plugins/health-check.ts"]` (or VNFKIT_PLUGINS) under tsx, or
// build it to JavaScript. The default export serves VNF type `server`; `healthCheckPlugin({...})` makes others.
import type { VNFCInstance, VirtualNetworkFunctionRecord } from '@vnfkit/protocol';
import { defineLifecyclePlugin, type LifecyclePlugin, type PluginContext } from '@vnfkit/generic-vnfm';

/** Options of {@link healthCheckPlugin}. */
export interface HealthCheckOptions {
  /** @default 'health-check' */
  name?: string;
  /** VNF types served. @default ['server'] unless `vnfdNames` is given */
  types?: string[];
  vnfdNames?: string[];
  /** Configuration keys whose value is the port to check, first found wins. @default ['health_port', 'port'] */
  portKeys?: string[];
  /** Connection attempts before the check fails. @default 5 */
  attempts?: number;
  /** Seconds between two attempts. @default 1 */
  intervalS?: number;
}

/** Saved on each VM and run with `<host> <port> <attempts> <interval>`: exit 0 when a TCP connection opens. */
export const CHECK_SCRIPT = `#!/bin/bash
# vnfkit health check: does anything answer on TCP $1:$2? $3 attempts, $4 s apart.
host=$1 port=$2 attempts=\${3:-5} interval=\${4:-1}
for i in $(seq 1 "$attempts"); do
  if timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null; then echo "$host:$port answers"; exit 0; fi
  [ "$i" -lt "$attempts" ] && sleep "$interval"
done
echo "nothing answers on $host:$port after $attempts attempts" >&2
exit 1
`;
export const CHECK_SCRIPT_NAME = 'vnfkit-health-check.sh';

/** Prints the VNFC's load as one number: the package's own `load.sh` when it ships one, else the 1-minute load average. */
export const LOAD_SCRIPT = `#!/bin/bash
if [ -f "$SCRIPTS_PATH/load.sh" ]; then exec /bin/bash "$SCRIPTS_PATH/load.sh"; fi
read -r one _ < /proc/loadavg
echo "$one"
`;
export const LOAD_SCRIPT_NAME = 'vnfkit-load.sh';

function configured(vnfr: VirtualNetworkFunctionRecord, keys: readonly string[]): string | undefined {
  const parameters = vnfr.configurations?.configurationParameters ?? [];
  for (const key of keys) {
    const value = parameters.find((p) => p.confKey === key)?.value;
    if (value !== undefined && value !== null && String(value) !== '') return String(value);
  }
  return undefined;
}

const isStandby = (vnfc: VNFCInstance): boolean => vnfc.state?.toLowerCase() === 'standby';

/** A health-check and least-loaded scale-in plug-in. */
export function healthCheckPlugin(options: HealthCheckOptions = {}): LifecyclePlugin {
  const portKeys = options.portKeys ?? ['health_port', 'port'];
  const attempts = options.attempts ?? 5;
  const intervalS = options.intervalS ?? 1;

  /** Checks every given VNFC that is not a standby one; fails the operation on the first that does not answer. */
  const check = async (ctx: PluginContext, vnfcs: readonly VNFCInstance[]): Promise<void> => {
    const port = configured(ctx.vnfr, portKeys);
    if (port === undefined || !/^\d{1,5}$/.test(port))
      ctx.fail(`no TCP port to check: configuration ${portKeys.join(' / ')} is ${port ?? 'missing'}`);
    await Promise.all(
      vnfcs
        .filter((vnfc) => !isStandby(vnfc))
        .map(async (vnfc) => {
          const host = vnfc.ips?.[0]?.ip;
          if (!host) ctx.fail(`VNFC ${vnfc.hostname ?? '?'} has no IP to check`);
          await ctx.agent.save(vnfc, { name: CHECK_SCRIPT_NAME, content: CHECK_SCRIPT });
          const reply = await ctx.agent.execute(vnfc, `${CHECK_SCRIPT_NAME} ${host} ${port} ${attempts} ${intervalS}`);
          if (reply.status !== 0) ctx.fail(`the service of ${vnfc.hostname ?? '?'} does not answer: ${(reply.err || reply.output).trim()}`);
          ctx.logger.info({ hostname: vnfc.hostname, host, port }, 'health check passed');
        }),
    );
  };

  return defineLifecyclePlugin({
    name: options.name ?? 'health-check',
    serves: { types: options.types ?? (options.vnfdNames ? [] : ['server']), vnfdNames: options.vnfdNames ?? [] },
    around: {
      start: async (ctx, next) => {
        await next();
        await check(ctx, ctx.vnfcs);
      },
      scaleOut: async (ctx, next) => {
        await next();
        if (!ctx.standby) await check(ctx, [ctx.vnfc]);
      },
    },
    chooseScaleIn: async ({ candidates, agent, logger }) => {
      const loads = await Promise.all(
        candidates.map(async (vnfc) => {
          try {
            await agent.save(vnfc, { name: LOAD_SCRIPT_NAME, content: LOAD_SCRIPT });
            const reply = await agent.execute(vnfc, LOAD_SCRIPT_NAME);
            const load = Number(reply.output.trim().split(/\s+/).pop());
            if (reply.status !== 0 || !Number.isFinite(load))
              throw new Error(`exit status ${reply.status}, output ${JSON.stringify(reply.output.trim())}`);
            return { vnfc, load };
          } catch (error) {
            logger.warn({ hostname: vnfc.hostname, err: (error as Error).message }, 'no load from this VNFC; not a candidate');
            return undefined;
          }
        }),
      );
      // Least loaded first; on a tie the later hostname (usually the newest VNFC).
      const known = loads
        .filter((l) => l !== undefined)
        .sort((a, b) => a.load - b.load || (b.vnfc.hostname ?? '').localeCompare(a.vnfc.hostname ?? ''));
      logger.info({ loads: known.map((l) => `${l.vnfc.hostname}=${l.load}`) }, 'VNFC loads');
      return known[0]?.vnfc;
    },
  });
}

export default healthCheckPlugin();
