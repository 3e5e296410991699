/**
 * Topics are `/`-separated levels, namespaced by plugin (`acudp/lap_completed`). Patterns use MQTT
 * syntax so a bridge to a broker maps them one to one: `+` matches exactly one level, `#` (last level
 * only) matches that level's parent and everything below it.
 */

export function validateTopic(topic: string): string | undefined {
  if (typeof topic !== 'string' || topic.length === 0) return 'a topic must be a non-empty string';
  if (topic.includes('+') || topic.includes('#')) return `topic "${topic}" must not contain the wildcards + or #`;
  if (topic.includes('\0')) return `topic "${topic}" must not contain NUL`;
  return undefined;
}

export function validatePattern(pattern: string): string | undefined {
  if (typeof pattern !== 'string' || pattern.length === 0) return 'a topic pattern must be a non-empty string';
  const levels = pattern.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return `pattern "${pattern}": # must be a whole level and the last one`;
    }
    if (level.includes('+') && level !== '+') return `pattern "${pattern}": + must be a whole level`;
  }
  return undefined;
}

export type TopicMatcher = (topic: string) => boolean;

export function compilePattern(pattern: string): TopicMatcher {
  const problem = validatePattern(pattern);
  if (problem) throw new TypeError(problem);
  if (!pattern.includes('+') && !pattern.includes('#')) return (topic) => topic === pattern;
  const levels = pattern.split('/');
  const multi = levels[levels.length - 1] === '#';
  const fixed = multi ? levels.slice(0, -1) : levels;
  return (topic) => {
    const parts = topic.split('/');
    if (multi ? parts.length < fixed.length : parts.length !== fixed.length) return false;
    for (let i = 0; i < fixed.length; i++) {
      const want = fixed[i]!;
      if (want !== '+' && want !== parts[i]) return false;
    }
    return true;
  };
}

export function topicMatches(pattern: string, topic: string): boolean {
  return compilePattern(pattern)(topic);
}
