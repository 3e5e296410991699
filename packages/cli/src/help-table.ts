/** A `help` reply row, as the core's `help` verb returns it. */
export interface HelpRow {
  verb: string;
  usage: string;
  help: string;
  plugin: string;
  access: string;
}

export function isHelpReply(data: unknown): data is HelpRow[] {
  return Array.isArray(data) && data.length > 0 && data.every((r) => r && typeof r === 'object' && typeof (r as HelpRow).verb === 'string' && typeof (r as HelpRow).usage === 'string');
}

/**
 * `help` for a person: a table (verb, plugin, access, summary, cut to the terminal's width), or,
 * for `help <words>` that names one verb (`asked`), that verb in detail.
 */
export function formatHelp(rows: HelpRow[], width = 100, asked = false): string {
  if (asked && rows.length === 1) {
    const r = rows[0]!;
    return [`usage: ${r.usage}`, `plugin: ${r.plugin}   access: ${r.access === 'read' ? 'read' : 'changes things (full-control connection)'}`, '', r.help].join('\n');
  }
  const head = { verb: 'VERB', plugin: 'PLUGIN', access: 'ACCESS', help: 'SUMMARY' };
  const all = [head, ...rows];
  const w = { verb: Math.max(...all.map((r) => r.verb.length)), plugin: Math.max(...all.map((r) => r.plugin.length)), access: Math.max(...all.map((r) => r.access.length)) };
  const room = Math.max(20, width - w.verb - w.plugin - w.access - 6);
  const line = (r: { verb: string; plugin: string; access: string; help: string }) => {
    const summary = r.help.length > room ? `${r.help.slice(0, room - 1)}…` : r.help;
    return `${r.verb.padEnd(w.verb)}  ${r.plugin.padEnd(w.plugin)}  ${r.access.padEnd(w.access)}  ${summary}`.trimEnd();
  };
  return [line(head), ...rows.map(line), '', `${rows.length} verbs; "help <verb>" for one in detail, --json for scripts`].join('\n');
}
