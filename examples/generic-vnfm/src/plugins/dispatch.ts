import { allVnfcs, type VNFCInstance, type VirtualNetworkFunctionRecord } from '@vnfkit/protocol';
import { pino, type Logger } from 'pino';
import { mergeEnv } from '../env/index.js';
import type { AgentChannel } from '../lifecycle/agent-channel.js';
import type { PlanAdjustment } from '../lifecycle/generic-lifecycle.js';
import { LifecyclePluginError, servesVnfr } from './plugin.js';
import type { AgentTarget, AroundHook, AroundHooks, LifecyclePlugin, Next, PluginAgent, PluginContext, PluginEvent } from './types.js';

type Vnfr = VirtualNetworkFunctionRecord;

/** The context one hook gets, by hook name. */
export type HookContextOf<K extends keyof AroundHooks> = Parameters<NonNullable<AroundHooks[K]>>[0];

/** What the VNFM passes to {@link LifecyclePlugins.run}: the hook's context without the parts the dispatcher adds. */
export type HookInput<K extends keyof AroundHooks> = Omit<HookContextOf<K>, Exclude<keyof PluginContext, 'vnfr' | 'vnfcs'>>;

const EVENT_OF: Record<keyof AroundHooks, PluginEvent> = {
  instantiate: 'INSTANTIATE',
  configure: 'CONFIGURE',
  start: 'START',
  stop: 'STOP',
  scaleOut: 'SCALE_OUT',
  scaleIn: 'SCALE_IN',
  heal: 'HEAL',
  terminate: 'TERMINATE',
  update: 'UPDATE',
};

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const isObject = (value: unknown): value is object => (typeof value === 'object' && value !== null) || typeof value === 'function';

/** An outer plug-in's adjustment, then an inner one's: environments merged (inner wins), plans rewritten outer first. */
function combine(outer: PlanAdjustment | undefined, inner: PlanAdjustment | undefined): PlanAdjustment | undefined {
  if (!outer) return inner;
  if (!inner) return outer;
  const env = outer.env || inner.env ? mergeEnv(outer.env ?? {}, inner.env ?? {}) : undefined;
  const plans = [outer.plan, inner.plan].filter((p): p is NonNullable<PlanAdjustment['plan']> => p !== undefined);
  return {
    ...(env ? { env } : {}),
    ...(plans.length > 0 ? { plan: (plan) => plans.reduce((current, rewrite) => rewrite(current), plan) } : {}),
  };
}

/** Options of {@link LifecyclePlugins}. */
export interface LifecyclePluginsOptions {
  plugins: readonly LifecyclePlugin[];
  agents: AgentChannel;
  logger?: Logger;
}

/**
 * Dispatches the Generic VNFM's events to the plug-ins serving the VNFR: the plug-ins whose `around.<hook>` is
 * set wrap the generic flow in load order (the first one outermost); with none, the generic flow runs as is.
 */
export class LifecyclePlugins {
  readonly #plugins: readonly LifecyclePlugin[];
  readonly #agents: AgentChannel;
  readonly #logger: Logger;

  constructor(options: LifecyclePluginsOptions) {
    this.#plugins = options.plugins;
    this.#agents = options.agents;
    this.#logger = (options.logger ?? pino({ enabled: false })).child({ component: 'lifecycle-plugins' });
  }

  /** The loaded plug-ins' names, in order. */
  get names(): string[] {
    return this.#plugins.map((p) => p.name);
  }

  /** The plug-ins serving `vnfr`, in load order. */
  servingVnfr(vnfr: Vnfr): LifecyclePlugin[] {
    return this.#plugins.filter((plugin) => servesVnfr(plugin, vnfr));
  }

  /** Runs event `hook` of `input.vnfr` through its plug-ins; `generic` is the generic flow (the innermost `next`). */
  async run<K extends keyof AroundHooks>(hook: K, input: HookInput<K>, generic: Next): Promise<void> {
    const vnfr = input.vnfr;
    const chain = this.servingVnfr(vnfr).filter((plugin) => typeof plugin.around?.[hook] === 'function');
    if (chain.length === 0) {
      await generic();
      return;
    }
    const event = EVENT_OF[hook];
    const vnfrName = vnfr.name ?? vnfr.id ?? '(no name)';
    const fromNext = new WeakSet<object>();
    const call = async (index: number, adjust: PlanAdjustment | undefined): Promise<void> => {
      const plugin = chain[index];
      if (!plugin) {
        await generic(adjust);
        return;
      }
      const logger = this.#logger.child({ plugin: plugin.name, event, vnfrId: vnfr.id, vnfrName: vnfr.name });
      const ctx = {
        ...input,
        event,
        plugin: plugin.name,
        agent: this.#agent(logger),
        logger,
        fail: (message: string): never => {
          throw new LifecyclePluginError({ plugin: plugin.name, event, vnfrName, message });
        },
      } as unknown as PluginContext;
      const next: Next = async (more) => {
        try {
          await call(index + 1, combine(adjust, more));
        } catch (error) {
          if (isObject(error)) fromNext.add(error);
          throw error;
        }
      };
      try {
        await (plugin.around?.[hook] as AroundHook<PluginContext>)(ctx, next);
      } catch (error) {
        if (isObject(error) && fromNext.has(error)) throw error;
        const failure =
          error instanceof LifecyclePluginError && error.plugin === plugin.name
            ? error
            : new LifecyclePluginError({ plugin: plugin.name, event, vnfrName, message: describe(error), cause: error });
        logger.error({ err: failure.message }, 'lifecycle plug-in failed the operation');
        throw failure;
      }
    };
    await call(0, undefined);
  }

  /**
   * The VNFC the plug-ins serving `vnfr` would remove on a scale-in: the first `chooseScaleIn` answer that is not
   * `undefined`, which must be one of the VNFR's VNFC instances. `undefined` when no plug-in has a preference.
   */
  async chooseScaleIn(vnfr: Vnfr): Promise<VNFCInstance | undefined> {
    const candidates = allVnfcs(vnfr);
    const vnfrName = vnfr.name ?? vnfr.id ?? '(no name)';
    for (const plugin of this.servingVnfr(vnfr)) {
      if (!plugin.chooseScaleIn) continue;
      const logger = this.#logger.child({ plugin: plugin.name, event: 'SCALE_IN', vnfrId: vnfr.id, vnfrName: vnfr.name });
      const failed = (message: string, cause?: unknown): LifecyclePluginError => {
        const failure = new LifecyclePluginError({ plugin: plugin.name, event: 'the SCALE_IN choice', vnfrName, message, cause });
        logger.error({ err: failure.message }, 'lifecycle plug-in failed to choose the VNFC to remove');
        return failure;
      };
      let chosen: VNFCInstance | undefined;
      try {
        chosen = await plugin.chooseScaleIn({ plugin: plugin.name, vnfr, candidates: [...candidates], agent: this.#agent(logger), logger });
      } catch (error) {
        throw failed(describe(error), error);
      }
      if (chosen === undefined || chosen === null) continue;
      const own = candidates.find(
        (c) => (chosen.id != null && c.id === chosen.id) || (chosen.hostname != null && c.hostname === chosen.hostname),
      );
      if (!own) throw failed(`it chose ${chosen.hostname ?? chosen.id ?? 'a VNFC'}, which is not a VNFC of the VNFR`);
      logger.info({ hostname: own.hostname }, 'lifecycle plug-in chose the VNFC to remove');
      return own;
    }
    return undefined;
  }

  #agent(logger: Logger): PluginAgent {
    const hostnameOf = (target: AgentTarget): string => {
      const hostname = typeof target === 'string' ? target : target.hostname;
      if (typeof hostname !== 'string' || hostname === '') throw new Error('agent command for a VNFC without hostname');
      return hostname;
    };
    return {
      execute: async (target, payload, options = {}) => {
        const hostname = hostnameOf(target);
        const reply = await this.#agents.execute(hostname, payload, { env: options.env });
        logger.debug({ hostname, script: payload, status: reply.status }, 'plug-in EXECUTE answered');
        return reply;
      },
      save: async (target, file) => {
        const hostname = hostnameOf(target);
        const content = typeof file.content === 'string' ? new TextEncoder().encode(file.content) : file.content;
        return this.#agents.saveScript(hostname, { name: file.name, content });
      },
    };
  }
}
