/** `{time}` in a recording's file name becomes the local start time, `20261205-143000`. */
export function recordingFileName(file: string, at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  return file.replaceAll('{time}', stamp);
}

/** The plugins and their versions from a `core/status` payload (none when there is no status). */
export function pluginsOf(status: unknown): Array<{ name: string; version?: string; origin?: string }> {
  const plugins = (status as { plugins?: unknown } | undefined)?.plugins;
  if (!Array.isArray(plugins)) return [];
  return plugins
    .filter((p): p is { name: string; version?: unknown; origin?: unknown } => typeof p?.name === 'string')
    .map((p) => ({ name: p.name, ...(typeof p.version === 'string' ? { version: p.version } : {}), ...(typeof p.origin === 'string' ? { origin: p.origin } : {}) }));
}
