import { createRequire } from 'node:module';

/**
 * The core API version a plugin declares in `definePlugin({ apiVersion })`.
 * Bumped only when a change would break plugins written for the previous one
 * (docs/plugins.md, "API version policy").
 */
export const API_VERSION = 4;

const require = createRequire(import.meta.url);
/** The @acgateway/core package version (read from its package.json, valid from src/ and dist/ alike). */
export const CORE_VERSION: string = (require('../package.json') as { version: string }).version;
