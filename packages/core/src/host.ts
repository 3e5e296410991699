import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import { retiredRequireToken } from './auth.js';
import { Bus, type Message } from './bus.js';
import { CommandRegistry, type Caller } from './commands/registry.js';
import { ComponentSet, type ComponentStatus, type Endpoint, type OwnedComponent, type Source } from './components.js';
import { resolvePlugins } from './config/resolve-plugins.js';
import { resolveConfig, type PluginEntry, type ResolvedConfig, type UserConfig } from './config/schema.js';
import { corePlugin, CORE_PLUGIN } from './core-plugin.js';
import { CommandDispatch, type Dispatcher } from './dispatch.js';
import { AcgError, ConfigError, errorMessage, PluginError } from './errors.js';
import { createHooks, type Hooks } from './hooks.js';
import { HttpServers } from './http/servers.js';
import { formatProblems, runEveryTap, TimeoutError, withTimeout, type LifecycleProblem } from './lifecycle.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { applyPlugins, type LoadedPlugin, type PluginState } from './plugin-loader.js';
import type { HostServices } from './plugin-api.js';
import { StatusPublisher } from './status.js';
import { TopicCatalog, type TopicViolation } from './topic-spec.js';
import { systemClock, TOKENS, type Clock } from './tokens.js';
import { CORE_VERSION } from './version.js';

export type { PluginState };
export type HostState = 'new' | 'initialized' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface HostOptions {
  config: UserConfig;
  /** Folder plugin package names resolve from (the config file's folder). Default: cwd. */
  configDir?: string;
  /** Where the config came from, for messages. */
  configPath?: string;
  logger?: Logger;
  clock?: Clock;
}

export interface PluginDescription {
  name: string;
  version?: string;
  origin: string;
  state: PluginState;
  error?: string;
  sources: Array<{ name: string; status?: ComponentStatus }>;
  endpoints: Array<{ name: string; kind: string; urls: string[]; clients?: number; status?: ComponentStatus }>;
  verbs: string[];
}

/**
 * The host: the core services in a tsyringe container, the plugins (the built-in `core` first) each
 * in a context of its own, and a lifecycle that always finishes. Loading is in plugin-loader.ts,
 * each plugin's context in plugin-api.ts, dispatch in dispatch.ts.
 */
export class Host implements Dispatcher {
  readonly hooks: Hooks = createHooks();
  readonly bus: Bus;
  readonly commands = new CommandRegistry();
  readonly metrics = new Metrics({ defaultMetrics: true });
  readonly http = new HttpServers();
  readonly logger: Logger;
  readonly clock: Clock;
  readonly container: DependencyContainer;
  readonly config: ResolvedConfig;
  /** Every plugin's declared topics. */
  readonly topics = new TopicCatalog();
  /** Payloads that did not match their declaration (with `validateTopics`; the first 100). */
  readonly topicViolations: TopicViolation[] = [];
  state: HostState = 'new';
  /** What went wrong in the last stop (empty when it was clean). */
  lastStopProblems: LifecycleProblem[] = [];
  private plugins: LoadedPlugin[] = [];
  private readonly components = new ComponentSet();
  private readonly stopTimes: HostServices['stopTimes'] = [];
  private readonly dispatcher: CommandDispatch;
  private readonly statusPublisher: StatusPublisher<ReturnType<Host['health']>>;
  private startedAt = 0;

  constructor(private readonly options: HostOptions) {
    this.clock = options.clock ?? systemClock;
    this.config = resolveConfig(options.config, options.configPath ? `config ${options.configPath}` : 'config');
    this.logger = options.logger ?? createLogger({ level: this.config.log.level, pretty: this.config.log.pretty });
    this.bus = new Bus(() => this.clock.now());
    this.dispatcher = new CommandDispatch(this.commands, this.hooks, this.metrics, this.logger);
    this.container = rootContainer.createChildContainer();
    const services: Array<[symbol, unknown]> = [
      [TOKENS.Logger, this.logger], [TOKENS.Bus, this.bus], [TOKENS.Commands, this.commands], [TOKENS.Clock, this.clock],
      [TOKENS.Config, this.config], [TOKENS.Metrics, this.metrics], [TOKENS.HttpServers, this.http], [TOKENS.Hooks, this.hooks],
      [TOKENS.Dispatcher, this.dispatcher],
    ];
    for (const [token, value] of services) this.container.register(token, { useValue: value });
    const s = this.config.server;
    const retired = retiredRequireToken('server', s.requireToken, Boolean(s.token || s.readToken));
    if (retired.error) throw new ConfigError(retired.error);
    if (retired.warning) this.logger.warn(retired.warning);
    this.statusPublisher = new StatusPublisher(this.bus, this.metrics, this.clock, () => this.health(), s.statusIntervalMs);
    this.bus.setHooks({
      filter: (m) => (this.hooks.publish.isUsed() ? this.hooks.publish.call(m) : m),
      onPublish: (m) => {
        this.metrics.countPublished(m);
        if (this.config.validateTopics) this.checkTopic(m);
      },
      onDrop: (m) => this.metrics.countDropped(m),
      onConflate: (m) => this.metrics.countConflated(m),
      onHandlerError: (err, m) => this.logger.error({ err, topic: m.topic }, 'a bus subscriber threw'),
    });
  }

  /** Resolves and applies the plugins; their sources, endpoints and verbs are registered as they apply. */
  async init(): Promise<void> {
    if (this.state !== 'new') throw new AcgError('BAD_STATE', `init() called on a host that is ${this.state}`);
    const configDir = this.options.configDir ?? process.cwd();
    const services: HostServices = {
      config: this.config, configDir, logger: this.logger, clock: this.clock, bus: this.bus, hooks: this.hooks, commands: this.commands,
      metrics: this.metrics, http: this.http, dispatcher: this.dispatcher, container: this.container, components: this.components, stopTimes: this.stopTimes,
    };
    const builtIn = { instance: corePlugin({ health: () => this.health(), verbs: () => this.commands.list(), metrics: this.metrics }), origin: '@acgateway/core', version: CORE_VERSION };
    const listed = await resolvePlugins(this.config.plugins as PluginEntry[], configDir);
    const clash = listed.find((r) => r.instance.definition.name === CORE_PLUGIN);
    if (clash) throw new ConfigError(`two plugins are named "core" (the name "core" is reserved): rename the one from ${clash.origin}`);
    this.plugins = await applyPlugins(services, [builtIn, ...listed]);
    for (const p of this.plugins) this.topics.add(p.name, p.definition.topics ?? []);
    this.checkStopTimes();
    this.state = 'initialized';
  }

  private checkTopic(m: Message): void {
    const v = this.topics.check(m.topic, m.data, m.publisher);
    if (!v) return;
    this.metrics.badInput.labels(v.plugin, 'topic_payload').inc();
    if (this.topicViolations.length < 100) {
      this.topicViolations.push(v);
      this.logger.error({ topic: v.topic, pattern: v.pattern, problems: v.problems }, `plugin "${v.plugin}" published a payload that does not match its declaration of ${v.pattern}`);
    }
  }

  /** Plugins stop one after another: the host's stop must outlast all of them together. */
  private checkStopTimes(): void {
    const total = this.stopTimes.reduce((sum, t) => sum + t.ms, 0);
    if (total <= this.config.shutdownTimeoutMs) return;
    const parts = this.stopTimes.map((t) => `plugin "${t.plugin}" up to ${t.ms} ms (${t.why})`).join(', ');
    throw new ConfigError(`shutdownTimeoutMs is ${this.config.shutdownTimeoutMs} ms, but stopping may take ${total} ms: ${parts}; raise shutdownTimeoutMs to at least ${total} or lower those timeouts, so the gateway never exits before its processes have stopped`);
  }

  /** A plugin's own `startTimeoutMs`, else the host's. */
  private startTimeoutOf(plugin: string): number {
    return this.plugins.find((p) => p.name === plugin)?.definition.startTimeoutMs ?? this.config.startTimeoutMs;
  }

  /** Starts sources, then endpoints, in plugin order. If one fails or times out, what started is stopped again (reverse order). */
  async start(): Promise<void> {
    if (this.state === 'new') await this.init();
    if (this.state !== 'initialized' && this.state !== 'stopped') throw new AcgError('BAD_STATE', `start() called on a host that is ${this.state}`);
    this.state = 'starting';
    for (const p of this.plugins) p.state = 'starting';
    try {
      await this.hooks.beforeStart.promise();
      for (const c of this.components.startOrder()) await this.startOne(c);
      await this.hooks.afterStart.promise();
    } catch (err) {
      this.logger.error({ err: errorMessage(err) }, 'start failed: stopping what had started');
      const undo = await this.stopComponents();
      if (undo.length) this.logger.error({ problems: undo }, `undoing the start: ${formatProblems(undo)}`);
      this.state = 'failed';
      throw err;
    }
    for (const p of this.plugins) if (p.state === 'starting') p.state = 'running';
    this.startedAt = this.clock.now();
    this.state = 'running';
    this.statusPublisher.start();
    this.logger.info({ plugins: this.plugins.map((p) => p.name) }, 'acgateway running');
  }

  private async startOne(c: OwnedComponent): Promise<void> {
    try {
      await withTimeout(() => c.component.start(), this.startTimeoutOf(c.plugin), `start of ${c.kind} "${c.component.name}"`).catch(async (err: unknown) => {
        // A start that failed undid itself; one still running past its time is stopped, as those before it.
        if (err instanceof TimeoutError) await Promise.resolve().then(() => c.component.stop()).catch(() => {});
        throw err;
      });
      c.started = true;
    } catch (err) {
      const plugin = this.plugins.find((p) => p.name === c.plugin);
      if (plugin) {
        plugin.state = 'failed';
        plugin.error = errorMessage(err);
      }
      throw err instanceof PluginError ? err : new PluginError(c.plugin, `start of ${c.kind} "${c.component.name}"`, err);
    }
  }

  /** Stops what started, in reverse; every one is stopped even when another throws. */
  private async stopComponents(): Promise<LifecycleProblem[]> {
    const problems: LifecycleProblem[] = [];
    for (const c of this.components.stopOrder()) {
      try {
        await c.component.stop();
      } catch (err) {
        problems.push({ plugin: c.plugin, step: `stop of ${c.kind} "${c.component.name}"`, message: errorMessage(err) });
      }
      c.started = false;
    }
    return problems;
  }

  /**
   * Stops endpoints, then sources, in reverse order, with the stop hooks around them in reverse
   * plugin order. Always finishes: every tap and component is stopped whatever another throws, and
   * what failed is logged as one report (and kept in `lastStopProblems`). Safe to call twice.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping' || this.state === 'new') return;
    this.state = 'stopping';
    for (const p of this.plugins) if (p.state !== 'failed') p.state = 'stopping';
    const order = this.plugins.map((p) => p.name);
    const problems = [
      ...(await runEveryTap(this.hooks.beforeStop as never, 'beforeStop', order, true)),
      ...(await this.stopComponents()),
      ...(await runEveryTap(this.hooks.afterStop as never, 'afterStop', order, true)),
    ];
    this.lastStopProblems = problems;
    for (const p of this.plugins) if (p.state !== 'failed') p.state = 'stopped';
    this.state = 'stopped';
    this.statusPublisher.stop();
    if (problems.length) this.logger.error({ problems }, `acgateway stopped, with ${problems.length} problem(s): ${formatProblems(problems)}`);
    else this.logger.info('acgateway stopped');
  }

  /** Parses and runs a command for a caller, through the `command` hooks. Throws CommandError. */
  dispatch(request: string | { verb: string; args?: readonly string[] }, caller: Caller): Promise<unknown> {
    return this.dispatcher.dispatch(request, caller);
  }

  health(): { status: string; state: HostState; version: string; uptimeS: number; plugins: PluginDescription[] } {
    const plugins = this.describe();
    const failed = plugins.some((p) => p.state === 'failed');
    // A source or endpoint that runs but not as it should (a link down, a process it does not control) says 'degraded'.
    const degraded = plugins.some((p) => [...p.sources, ...p.endpoints].some((c) => c.status?.state === 'degraded'));
    const status = this.state === 'running' ? (failed || degraded ? 'degraded' : 'ok') : this.state;
    return { status, state: this.state, version: CORE_VERSION, uptimeS: this.startedAt ? Math.round((this.clock.now() - this.startedAt) / 1000) : 0, plugins };
  }

  /** What is loaded: plugins with versions, their sources, endpoints with URLs, and verbs. */
  describe(): PluginDescription[] {
    const all = this.plugins.map((p): PluginDescription => ({ name: p.name, version: p.version, origin: p.origin, state: p.state, error: p.error, sources: [], endpoints: [], verbs: [] }));
    for (const c of this.components.all) {
      const d = all.find((p) => p.name === c.plugin);
      if (!d) continue;
      const status = safeStatus(c.component);
      if (c.kind === 'source') d.sources.push({ name: c.component.name, status });
      else {
        const e = c.component as Endpoint;
        d.endpoints.push({ name: e.name, kind: e.kind, urls: e.urls(), clients: e.clients?.(), status });
      }
    }
    for (const cmd of this.commands.list()) all.find((p) => p.name === cmd.plugin)?.verbs.push(cmd.verb);
    return all;
  }

  /** URLs of every endpoint, by `plugin/endpoint`. */
  endpointUrls(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const c of this.components.all) if (c.kind === 'endpoint') out[`${c.plugin}/${c.component.name}`] = (c.component as Endpoint).urls();
    return out;
  }

  /** Published messages can be observed here (tests, debugging). */
  onMessage(pattern: string, handler: (m: Message) => void) {
    return this.bus.subscribe(pattern, handler, { policy: 'queue', maxQueue: 100_000, retained: true });
  }
}

function safeStatus(c: Source | Endpoint): ComponentStatus | undefined {
  try {
    return c.status?.();
  } catch (err) {
    return { state: 'unknown', reason: errorMessage(err) };
  }
}
