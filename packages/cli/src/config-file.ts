/**
 * Finding and loading the config file: the command line's job (a host is given a config object;
 * a program that embeds one need not install cosmiconfig and the TypeScript loader).
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { cosmiconfig, type Loader } from 'cosmiconfig';
import { ConfigError, errorMessage, type UserConfig } from '@acgateway/core';

const MODULE_NAME = 'acgateway';

const SEARCH_PLACES = [
  'package.json',
  `.${MODULE_NAME}rc`,
  `.${MODULE_NAME}rc.json`,
  `.${MODULE_NAME}rc.yaml`,
  `.${MODULE_NAME}rc.yml`,
  `.${MODULE_NAME}rc.js`,
  `.${MODULE_NAME}rc.mjs`,
  `.${MODULE_NAME}rc.cjs`,
  `.${MODULE_NAME}rc.ts`,
  `${MODULE_NAME}.config.ts`,
  `${MODULE_NAME}.config.mts`,
  `${MODULE_NAME}.config.js`,
  `${MODULE_NAME}.config.mjs`,
  `${MODULE_NAME}.config.cjs`,
  `${MODULE_NAME}.config.json`,
];

export interface LoadedConfig {
  config: UserConfig;
  /** The file it came from. */
  filepath: string;
  /** Its folder: plugin package names resolve from here. */
  dir: string;
}

/** TypeScript configs load through jiti; it (and the loader) load with the first one, not with the core. */
const ts: Loader = async (filepath, content) => {
  const { TypeScriptLoader } = await import('cosmiconfig-typescript-loader');
  return TypeScriptLoader()(filepath, content);
};

function explorer() {
  return cosmiconfig(MODULE_NAME, {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'global',
    loaders: { '.ts': ts, '.mts': ts, '.cts': ts },
    cache: false,
  });
}

/**
 * Finds the config (from `cwd` upwards, or the file named by `--config`) and loads it.
 * Throws ConfigError naming the file and what was wrong.
 */
export async function loadConfigFile(options: { configPath?: string; cwd?: string } = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const ex = explorer();
  let result;
  if (options.configPath) {
    const file = path.resolve(cwd, options.configPath);
    if (!existsSync(file)) throw new ConfigError(`config file ${file} does not exist`);
    try {
      result = await ex.load(file);
    } catch (err) {
      throw new ConfigError(`cannot load config ${file}: ${errorMessage(err)}`, { cause: err });
    }
  } else {
    try {
      result = await ex.search(cwd);
    } catch (err) {
      const file = (err as { filepath?: string }).filepath;
      throw new ConfigError(`cannot load config${file ? ` ${file}` : ''} (found from ${cwd}): ${errorMessage(err)}`, { cause: err });
    }
    if (!result) {
      throw new ConfigError(`no acgateway config found in ${cwd} or its parents (acgateway.config.ts, .acgatewayrc*, package.json#acgateway): run "acgateway init" to write one`);
    }
  }
  if (!result || result.isEmpty || result.config == null) throw new ConfigError(`config ${result?.filepath ?? options.configPath} is empty`);
  let config = result.config as unknown;
  if (typeof config === 'function') config = await (config as () => unknown)();
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ConfigError(`config ${result.filepath} must export an object (use "export default defineConfig({...})")`);
  }
  return { config: config as UserConfig, filepath: result.filepath, dir: path.dirname(result.filepath) };
}
