import type { CarInfo } from '../wire/types.js';

/** Who counts as "our team" on a server. A driver matching either rule is in. */
export interface TeamRule {
  /** A tag in the in-game name, e.g. "-YORK" (case-insensitive, not part of a longer word). */
  tag?: string;
  /** The team name a v2 server sends in CarInfo.TeamName (the part after the last "|" also counts). */
  teamName?: string;
}

export type TeamMatcher = (driver: CarInfo) => boolean;

const ALNUM = /[\p{L}\p{N}]/u;

/** Null when the rule names nothing: then the server has no team. */
export function compileTeamRule(rule: TeamRule): TeamMatcher | null {
  const tag = rule.tag?.trim();
  const teamName = rule.teamName?.trim().toLowerCase();
  if (!tag && !teamName) return null;
  let tagRe: RegExp | null = null;
  if (tag) {
    // "-YORK" must not match "Sam Carter-YORKSHIRE": a tag that ends in a letter needs a boundary after it.
    const escaped = tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const before = ALNUM.test(tag[0]!) ? '(?<![\\p{L}\\p{N}])' : '';
    const after = ALNUM.test(tag[tag.length - 1]!) ? '(?![\\p{L}\\p{N}])' : '';
    tagRe = new RegExp(`${before}${escaped}${after}`, 'iu');
  }
  return (driver) => {
    if (tagRe && tagRe.test(driver.name)) return true;
    if (teamName && driver.teamName) {
      const full = driver.teamName.trim().toLowerCase();
      if (full === teamName) return true;
      const bar = full.lastIndexOf('|');
      if (bar >= 0 && full.slice(bar + 1).trim() === teamName) return true;
    }
    return false;
  };
}
