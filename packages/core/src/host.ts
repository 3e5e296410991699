import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import { Bus, type Message } from './bus.js';
import { CommandRegistry, toCommandError, usage, type Caller, type CommandCall, type CommandSpec } from './commands/registry.js';
import type { ComponentStatus, Endpoint, Source } from './components.js';
import { resolveConfig } from './config/load.js';
import { resolvePlugins, type ResolvedPlugin } from './config/resolve-plugins.js';
import type { PluginEntry, ResolvedConfig, UserConfig } from './config/schema.js';
import { formatIssues } from './config/schema.js';
import { createGatewayEndpoint, type Dispatcher } from './endpoints/gateway.js';
import { createHttpEndpoint, sendJson } from './endpoints/http.js';
import { createSocketIoEndpoint } from './endpoints/socketio.js';
import { createWsEndpoint } from './endpoints/ws.js';
import { AcgError, CommandError, ConfigError, PluginError, errorMessage } from './errors.js';
import { createHooks, type HookName, type Hooks } from './hooks.js';
import { HttpServers, isLoopback as isLoopbackHost } from './http/servers.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import type { PluginApi, PluginDefinition } from './plugin.js';
import { StatusPublisher } from './status.js';
import { systemClock, TOKENS, type Clock } from './tokens.js';
import { retiredRequireToken } from './auth.js';
import { orderByServices, resolveDeps } from './services.js';
import { formatProblems, runEveryTap, TimeoutError, withTimeout, type LifecycleProblem } from './lifecycle.js';
import { createWebUi, WEB_ASSETS_PATH } from './web.js';
import { API_VERSION, CORE_VERSION } from './version.js';

export type PluginState = 'registered' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';
export type HostState = 'new' | 'initialized' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

interface Component {
  plugin: string;
  kind: 'source' | 'endpoint';
  component: Source | Endpoint;
  started: boolean;
}

interface LoadedPlugin {
  name: string;
  version?: string;
  origin: string;
  definition: PluginDefinition;
  options: unknown;
  container: DependencyContainer;
  state: PluginState;
  error?: string;
}

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

const CORE = 'core';

/**
 * The host: loads config and plugins, gives each plugin a child container and logger, runs the
 * lifecycle, owns the shared HTTP servers and the command dispatch.
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
  state: HostState = 'new';
  private readonly plugins: LoadedPlugin[] = [];
  private readonly components: Component[] = [];
  /** The plugin whose apply is running: taps made now belong to it. */
  private applying: string | undefined;
  /** The plugin whose tap is running (set by the interceptor): registrations belong to it. */
  private runningTap: string | undefined;
  private startedAt = 0;
  /** What plugins said their stop may take (`requireStopTime`). */
  private readonly stopTimes: Array<{ plugin: string; ms: number; why: string }> = [];
  private readonly statusPublisher: StatusPublisher<ReturnType<Host['health']>>;

  constructor(private readonly options: HostOptions) {
    this.clock = options.clock ?? systemClock;
    this.config = resolveConfig(options.config, options.configPath ? `config ${options.configPath}` : 'config');
    this.logger = options.logger ?? createLogger({ level: this.config.log.level, pretty: this.config.log.pretty });
    this.bus = new Bus(() => this.clock.now());
    this.container = rootContainer.createChildContainer();
    this.container.register(TOKENS.Logger, { useValue: this.logger });
    this.container.register(TOKENS.Bus, { useValue: this.bus });
    this.container.register(TOKENS.Commands, { useValue: this.commands });
    this.container.register(TOKENS.Clock, { useValue: this.clock });
    this.container.register(TOKENS.Config, { useValue: this.config });
    this.container.register(TOKENS.Metrics, { useValue: this.metrics });
    this.container.register(TOKENS.HttpServers, { useValue: this.http });
    this.container.register(TOKENS.Hooks, { useValue: this.hooks });
    const retired = retiredRequireToken('server', this.config.server.requireToken, Boolean(this.config.server.token || this.config.server.readToken));
    if (retired.error) throw new ConfigError(retired.error);
    if (retired.warning) this.logger.warn(retired.warning);
    this.statusPublisher = new StatusPublisher(this.bus, this.metrics, this.clock, () => this.health(), this.config.server.statusIntervalMs);
    this.wireHooks();
  }

  /** Every tap is wrapped so an error names the plugin and the hook; taps are attributed to the applying plugin. */
  private wireHooks(): void {
    // Registrars must know whose tap runs; the other hooks (publish runs per message) need no such call.
    for (const hook of [this.hooks.registerSources, this.hooks.registerEndpoints, this.hooks.registerCommands]) {
      hook.intercept({ tap: (tap) => void (this.runningTap = tap.name) });
    }
    for (const [hookName, hook] of Object.entries(this.hooks) as Array<[HookName, Hooks[HookName]]>) {
      (hook as { intercept(i: unknown): void }).intercept({
        register: (tap: { name: string; type: string; fn: (...a: unknown[]) => unknown }) => {
          const plugin = this.applying ?? tap.name;
          const fn = tap.fn;
          const wrap = (err: unknown) => (err instanceof PluginError || err instanceof CommandError ? err : new PluginError(plugin, `hook ${hookName}`, err));
          let wrapped: (...a: unknown[]) => unknown;
          if (tap.type === 'promise') {
            wrapped = async (...a) => {
              try {
                return await fn(...a);
              } catch (err) {
                throw wrap(err);
              }
            };
          } else if (tap.type === 'async') {
            wrapped = (...a) => {
              const cb = a[a.length - 1] as (err?: unknown, r?: unknown) => void;
              try {
                return fn(...a.slice(0, -1), (err?: unknown, r?: unknown) => cb(err ? wrap(err) : err, r));
              } catch (err) {
                cb(wrap(err));
              }
            };
          } else {
            wrapped = (...a) => {
              try {
                return fn(...a);
              } catch (err) {
                throw wrap(err);
              }
            };
          }
          return { ...tap, name: plugin, fn: wrapped };
        },
      });
    }
    this.bus.setHooks({
      filter: (m) => (this.hooks.publish.isUsed() ? this.hooks.publish.call(m) : m),
      onPublish: (m) => this.metrics.countPublished(m),
      onDrop: (m) => this.metrics.countDropped(m),
      onConflate: (m) => this.metrics.countConflated(m),
      onHandlerError: (err, m) => this.logger.error({ err, topic: m.topic }, 'a bus subscriber threw'),
    });
  }

  /** Resolves and applies the plugins, then collects their sources, endpoints and verbs. */
  async init(): Promise<void> {
    if (this.state !== 'new') throw new AcgError('BAD_STATE', `init() called on a host that is ${this.state}`);
    const resolved = await resolvePlugins(this.config.plugins as PluginEntry[], this.options.configDir ?? process.cwd());
    const names = new Set<string>([CORE]);
    for (const r of resolved) {
      const def = r.instance.definition;
      if (names.has(def.name)) throw new ConfigError(`two plugins are named "${def.name}"${def.name === CORE ? ' (the name "core" is reserved)' : ''}: each plugin may be listed once`);
      names.add(def.name);
      if (def.apiVersion !== API_VERSION) {
        throw new ConfigError(`plugin "${def.name}"${r.version ? ` ${r.version}` : ''} was built for core API version ${def.apiVersion}, but this host (@acgateway/core ${CORE_VERSION}) provides API version ${API_VERSION}`);
      }
    }
    // Providers of services are applied before the plugins that use them; otherwise as listed.
    const byName = new Map(resolved.map((r) => [r.instance.definition.name, r]));
    const order = orderByServices(
      resolved.map((r) => ({ name: r.instance.definition.name, deps: Object.values(r.instance.definition.deps ?? {}), provides: r.instance.definition.provides ?? [] })),
      (message) => new ConfigError(message),
    );
    for (const node of order) {
      const r = byName.get(node.name)!;
      await this.applyPlugin(r, r.instance.definition);
    }
    this.checkStopTimes();
    this.registerCore();
    this.collect();
    this.state = 'initialized';
  }

  /** Plugins stop one after another: the host's stop must outlast all of them together. */
  private checkStopTimes(): void {
    const total = this.stopTimes.reduce((sum, t) => sum + t.ms, 0);
    if (total <= this.config.shutdownTimeoutMs) return;
    const parts = this.stopTimes.map((t) => `plugin "${t.plugin}" up to ${t.ms} ms (${t.why})`).join(', ');
    throw new ConfigError(`shutdownTimeoutMs is ${this.config.shutdownTimeoutMs} ms, but stopping may take ${total} ms: ${parts}; raise shutdownTimeoutMs to at least ${total} or lower those timeouts, so the gateway never exits before its processes have stopped`);
  }

  private async applyPlugin(r: ResolvedPlugin, def: PluginDefinition): Promise<void> {
    let options: unknown = r.instance.options ?? {};
    if (def.options) {
      const parsed = def.options.safeParse(options ?? {});
      if (!parsed.success) throw new ConfigError(`plugin "${def.name}": invalid options: ${formatIssues(parsed.error, def.name)}`);
      options = parsed.data;
    }
    const child = this.container.createChildContainer();
    const logger = this.logger.child({ plugin: def.name });
    child.register(TOKENS.PluginOptions, { useValue: options });
    child.register(TOKENS.PluginName, { useValue: def.name });
    child.register(TOKENS.Logger, { useValue: logger });
    const plugin: LoadedPlugin = { name: def.name, version: r.version, origin: r.origin, definition: def, options, container: child, state: 'registered' };
    this.plugins.push(plugin);
    this.applying = def.name;
    try {
      const api = this.makeApi(plugin, logger);
      await def.apply(api, options);
      const missing = (def.provides ?? []).filter((ref) => !this.container.isRegistered(ref.token));
      if (missing.length) throw new Error(`it says it provides ${missing.map((r) => `"${r.id}"`).join(', ')} but its apply did not call api.provide for ${missing.length > 1 ? 'them' : 'it'}`);
    } catch (err) {
      plugin.state = 'failed';
      throw err instanceof PluginError ? err : new PluginError(def.name, 'apply', err);
    } finally {
      this.applying = undefined;
    }
  }

  private makeApi(plugin: LoadedPlugin, logger: Logger): PluginApi {
    const name = plugin.name;
    const deps = { name, http: this.http, metrics: this.metrics, logger, allowedOrigins: this.config.server.allowedOrigins };
    const badInput = (kind: string) => this.metrics.badInput.labels(name, kind).inc();
    const provides = plugin.definition.provides ?? [];
    return {
      name,
      deps: resolveDeps(plugin.container, plugin.definition.deps, name, (m) => new ConfigError(m)) as never,
      provide: (ref, value) => {
        if (!provides.some((r) => r.id === ref.id)) throw new Error(`api.provide("${ref.id}"): the plugin does not list it in "provides"`);
        if (this.container.isRegistered(ref.token)) throw new Error(`api.provide("${ref.id}"): already provided`);
        this.container.register(ref.token, { useValue: value });
      },
      logger,
      container: plugin.container,
      hooks: this.hooks,
      bus: this.bus,
      commands: this.commands,
      metrics: this.metrics,
      http: this.http,
      clock: this.clock,
      config: this.config,
      configDir: this.options.configDir ?? process.cwd(),
      dispatcher: this,
      publish: (topic, data, opts) => this.bus.publish(topic, data, opts),
      addSource: (source) => this.hooks.registerSources.tap(name, (reg) => reg.add(source)),
      addEndpoint: (endpoint) => this.hooks.registerEndpoints.tap(name, (reg) => reg.add(endpoint)),
      addCommand: (command) => this.hooks.registerCommands.tap(name, (reg) => reg.add(command)),
      endpoints: {
        ws: (o) => createWsEndpoint(deps, o),
        socketIo: (o) => createSocketIoEndpoint(deps, o),
        http: (o) => createHttpEndpoint(deps, o),
      },
      countBadInput: badInput,
      requireStopTime: (ms, why) => void this.stopTimes.push({ plugin: name, ms, why }),
    };
  }

  /** The core's own endpoints (gateway websocket, /health, /metrics) and the `help` verb. */
  private registerCore(): void {
    const s = this.config.server;
    const deps = { name: CORE, http: this.http, metrics: this.metrics, logger: this.logger.child({ plugin: CORE }), allowedOrigins: s.allowedOrigins };
    this.commands.register(CORE, {
      verb: 'help',
      args: [{ name: 'verb', rest: true, optional: true }],
      access: 'read',
      help: 'Lists every verb with its plugin, or details of the verbs starting with the given words',
      handler: ({ args }) => {
        const filter = (args.verb as string | undefined)?.toLowerCase();
        const list = this.commands.list().filter((c) => !filter || c.verb.startsWith(filter));
        if (filter && list.length === 0) throw new CommandError('UNKNOWN_VERB', `no verb starts with "${filter}"; "help" lists every verb`);
        return list.map((c) => ({ verb: c.verb, usage: usage(c), help: c.help, plugin: c.plugin, access: c.access }));
      },
    });
    if (!s.enabled) return;
    if (!isLoopbackHost(s.host) && !s.token) {
      this.logger.warn(`the gateway listens on ${s.host} without server.token: its clients are read-only; set server.token to allow commands that change things`);
    }
    const shared = this.http.acquire({ host: s.host, port: s.port });
    const auth = { token: s.token, readToken: s.readToken, allowedOrigins: s.allowedOrigins };
    const web = s.ui ? createWebUi({ auth, boundHost: s.host, logger: deps.logger }) : undefined;
    this.components.push({
      plugin: CORE,
      kind: 'endpoint',
      started: false,
      component: createGatewayEndpoint(deps, this.bus, this, {
        host: s.host,
        port: s.port,
        server: shared,
        maxPayload: s.maxPayload,
        perMessageDeflate: s.perMessageDeflate,
        auth,
        backpressure: s.backpressure,
        maxQueue: s.maxQueue,
        request: web?.page,
      }),
    });
    if (web) {
      this.components.push({
        plugin: CORE,
        kind: 'endpoint',
        started: false,
        component: createHttpEndpoint(deps, { name: 'ui', host: s.host, port: s.port, server: shared, routes: [{ path: WEB_ASSETS_PATH, prefix: true, handler: web.assets }] }),
      });
    }
    this.components.push({
      plugin: CORE,
      kind: 'endpoint',
      started: false,
      component: createHttpEndpoint(deps, {
        name: 'http',
        host: s.host,
        port: s.port,
        server: shared,
        routes: [
          { path: '/health', handler: (_req, res) => { const h = this.health(); sendJson(res, h.status === 'ok' ? 200 : 503, h); } },
          {
            path: '/metrics',
            handler: async (_req, res) => {
              const text = await this.metrics.registry.metrics();
              res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
              res.end(text);
            },
          },
        ],
      }),
    });
  }

  private collect(): void {
    const seen = new Set<string>();
    const add = (plugin: string, kind: 'source' | 'endpoint', component: Source | Endpoint) => {
      if (!component || typeof component.start !== 'function' || typeof component.stop !== 'function' || !component.name) {
        throw new PluginError(plugin, `register${kind === 'source' ? 'Sources' : 'Endpoints'}`, new TypeError(`a ${kind} needs a name, start() and stop()`));
      }
      const key = `${plugin}/${kind}/${component.name}`;
      if (seen.has(key)) throw new PluginError(plugin, 'registration', new Error(`two ${kind}s are named "${component.name}"`));
      seen.add(key);
      this.components.push({ plugin, kind, component, started: false });
    };
    const owner = () => this.runningTap ?? CORE;
    this.hooks.registerSources.call({ add: (s: Source) => add(owner(), 'source', s) });
    this.hooks.registerEndpoints.call({ add: (e: Endpoint) => add(owner(), 'endpoint', e) });
    this.hooks.registerCommands.call({
      add: (c: CommandSpec) => {
        try {
          this.commands.register(owner(), c);
        } catch (err) {
          throw new PluginError(owner(), 'registerCommands', err);
        }
      },
    });
  }

  /** Starts sources, then endpoints. If one fails, what started is stopped again (reverse order). */
  async start(): Promise<void> {
    if (this.state === 'new') await this.init();
    if (this.state !== 'initialized' && this.state !== 'stopped') throw new AcgError('BAD_STATE', `start() called on a host that is ${this.state}`);
    this.state = 'starting';
    for (const p of this.plugins) p.state = 'starting';
    const order = [...this.components.filter((c) => c.kind === 'source'), ...this.components.filter((c) => c.kind === 'endpoint')];
    try {
      await this.hooks.beforeStart.promise();
      for (const c of order) {
        try {
          const ms = this.startTimeoutOf(c.plugin);
          await withTimeout(() => c.component.start(), ms, `start of ${c.kind} "${c.component.name}"`).catch(async (err: unknown) => {
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

  /** A plugin's own `startTimeoutMs`, else the host's. */
  private startTimeoutOf(plugin: string): number {
    return this.plugins.find((p) => p.name === plugin)?.definition.startTimeoutMs ?? this.config.startTimeoutMs;
  }

  /** Stops what started, endpoints then sources, each in reverse order; every one is stopped even when another throws. */
  private async stopComponents(): Promise<LifecycleProblem[]> {
    const started = this.components.filter((c) => c.started);
    const reversed = [...started.filter((c) => c.kind === 'endpoint').reverse(), ...started.filter((c) => c.kind === 'source').reverse()];
    const problems: LifecycleProblem[] = [];
    for (const c of reversed) {
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

  /** What went wrong in the last stop (empty when it was clean). */
  lastStopProblems: LifecycleProblem[] = [];

  /** Parses and runs a command for a caller, through the `command` hooks. Throws CommandError. */
  async dispatch(request: string | { verb: string; args?: readonly string[] }, caller: Caller): Promise<unknown> {
    let call: CommandCall | undefined;
    const started = performance.now();
    try {
      call = typeof request === 'string' ? this.commands.parse(request, caller) : this.commands.call(request.verb, [...(request.args ?? [])], caller);
      this.metrics.commandCalls.labels(call.verb).inc();
      if (call.command.access !== 'read' && caller.role !== 'admin') {
        throw new CommandError('FORBIDDEN', `"${call.verb}" changes things and needs a full-control token; this connection is read-only`);
      }
      let result = await this.hooks.command.promise(call);
      if (result === undefined) {
        result = await call.command.handler({ verb: call.verb, args: call.args, words: call.words, caller });
      }
      this.hooks.commandDone.call(call, { ok: true, result, ms: performance.now() - started });
      if (call.command.access !== 'read') {
        this.logger.info({ verb: call.verb, line: call.line, caller: auditOf(caller) }, 'command run');
      }
      return result;
    } catch (err) {
      const e = toCommandError(err);
      const verb = call?.verb ?? '(unparsed)';
      this.metrics.commandErrors.labels(verb, e.code).inc();
      if (call) this.hooks.commandDone.call(call, { ok: false, error: e, ms: performance.now() - started });
      if (call && call.command.access !== 'read') {
        // Refused or failed attempts to change something are part of the audit trail too.
        this.logger.warn({ verb, line: call.line, code: e.code, err: e.message, caller: auditOf(caller) }, 'command refused or failed');
      } else if (e.code === 'COMMAND_FAILED') {
        this.logger.warn({ verb, err: e.message }, 'command failed');
      }
      throw e;
    }
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
    const core: PluginDescription = { name: CORE, version: CORE_VERSION, origin: '@acgateway/core', state: this.coreState(), sources: [], endpoints: [], verbs: [] };
    const all = [core, ...this.plugins.map((p) => ({ name: p.name, version: p.version, origin: p.origin, state: p.state, error: p.error, sources: [], endpoints: [], verbs: [] }) as PluginDescription)];
    for (const c of this.components) {
      const d = all.find((p) => p.name === c.plugin)!;
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

  private coreState(): PluginState {
    if (this.state === 'running') return 'running';
    if (this.state === 'failed') return 'failed';
    if (this.state === 'stopped') return 'stopped';
    return 'registered';
  }

  /** URLs of every endpoint, by `plugin/endpoint`. */
  endpointUrls(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const c of this.components) if (c.kind === 'endpoint') out[`${c.plugin}/${c.component.name}`] = (c.component as Endpoint).urls();
    return out;
  }

  /** Published messages can be observed here (tests, debugging). */
  onMessage(pattern: string, handler: (m: Message) => void) {
    return this.bus.subscribe(pattern, handler, { policy: 'queue', maxQueue: 100_000, retained: true });
  }
}

function auditOf(caller: Caller) {
  return { endpoint: caller.endpoint, role: caller.role, remote: caller.remote, id: caller.id, user: caller.user };
}

function safeStatus(c: Source | Endpoint): ComponentStatus | undefined {
  try {
    return c.status?.();
  } catch (err) {
    return { state: 'unknown', reason: errorMessage(err) };
  }
}


