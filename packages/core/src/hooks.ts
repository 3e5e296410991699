import { AsyncSeriesBailHook, AsyncSeriesHook, SyncHook, SyncWaterfallHook } from 'tapable';
import type { Message } from './bus.js';
import type { CommandCall, CommandSpec } from './commands/registry.js';
import type { Endpoint, Source } from './components.js';

/** What a registration hook hands its taps: add components, on behalf of the tapping plugin. */
export interface SourceRegistrar {
  add(source: Source): void;
}
export interface EndpointRegistrar {
  add(endpoint: Endpoint): void;
}
export interface CommandRegistrar {
  add(command: CommandSpec): void;
}

/**
 * The whole extension surface of the host, in one place. Plugins tap these in `apply`, with their
 * own name as the tap name (`api.hooks.afterStart.tapPromise(api.name, async () => ...)`); the
 * helpers `api.addSource/addEndpoint/addCommand` tap the registration hooks for them.
 *
 * An error thrown in a tap is re-thrown as a PluginError naming the plugin and the hook.
 */
export function createHooks() {
  return {
    // --- registration: called once, after every plugin's apply, in plugin order ---
    /** Add sources (things that publish on the bus). */
    registerSources: new SyncHook<[SourceRegistrar]>(['sources']),
    /** Add transport endpoints (ws, socket.io, HTTP). */
    registerEndpoints: new SyncHook<[EndpointRegistrar]>(['endpoints']),
    /** Add command verbs. */
    registerCommands: new SyncHook<[CommandRegistrar]>(['commands']),

    // --- lifecycle ---
    /** Before any source starts. Throwing aborts the start. */
    beforeStart: new AsyncSeriesHook<[]>([]),
    /** After every source and endpoint runs. */
    afterStart: new AsyncSeriesHook<[]>([]),
    /** Before endpoints and sources stop (e.g. tell clients goodbye). */
    beforeStop: new AsyncSeriesHook<[]>([]),
    /** After everything stopped (flush files). */
    afterStop: new AsyncSeriesHook<[]>([]),

    // --- data path ---
    /**
     * Every message before it is published: return it (or a transformed copy) to let it through,
     * `null` to drop it. A tap after one that dropped receives `null` and should return it.
     */
    publish: new SyncWaterfallHook<[Message | null]>(['message']),
    /**
     * Around every command dispatch, after parsing and before the handler (auth, audit, rate limits).
     * Throw a CommandError to refuse it; return a value other than undefined to answer in the
     * handler's place.
     */
    command: new AsyncSeriesBailHook<[CommandCall], unknown>(['call']),
    /** After a command ran: the call, and its result or error (audit logs). */
    commandDone: new SyncHook<[CommandCall, { ok: boolean; result?: unknown; error?: unknown; ms: number }]>(['call', 'outcome']),
  };
}

export type Hooks = ReturnType<typeof createHooks>;
export type HookName = keyof Hooks;
