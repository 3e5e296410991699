import { createRequire } from 'node:module';

export const RECORDER_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
