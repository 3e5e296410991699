import { FileMappingOpener } from './files.js';
import type { MappingOpener } from './types.js';
import { WindowsMappingOpener } from './windows.js';

export type ReaderChoice = 'auto' | 'windows' | 'mmap' | 'read';

export interface OpenerOptions {
  reader: ReaderChoice;
  dir: string;
  suffix?: string;
  global?: boolean;
  platform?: NodeJS.Platform;
}

/** 'auto': named mappings on Windows, the files in `dir` mapped with mmap elsewhere. */
export function createOpener(options: OpenerOptions): MappingOpener {
  const platform = options.platform ?? process.platform;
  const kind = options.reader === 'auto' ? (platform === 'win32' ? 'windows' : 'mmap') : options.reader;
  if (kind === 'windows') return new WindowsMappingOpener({ suffix: options.suffix, global: options.global });
  return new FileMappingOpener({ dir: options.dir, suffix: options.suffix, mode: kind });
}

export { FileMappingOpener, WindowsMappingOpener };
export type { MappedRegion, MappingOpener, OpenResult, ReaderKind } from './types.js';
