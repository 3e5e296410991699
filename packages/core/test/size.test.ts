import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain script, no types
import { CODE_BUDGET, count, FILE_BUDGET, measure } from '../../../scripts/core-size.mjs';

describe('the core size budget (scripts/core-size.mjs)', () => {
  it('counts code, not comments or blank lines', () => {
    const text = ['/**', ' * A doc comment.', ' */', 'export const a = 1; // trailing', '', '  // a note', '/* one line */', '/* head */ const b = 2;', 'const c = `', '// inside a template', '`;', ''].join('\n');
    // Comment-only and blank lines are not code; a line that has code besides a comment is. As in
    // cloc, a line inside a template literal that looks like a comment is taken for one.
    expect(count(text)).toEqual({ lines: 11, code: 4 });
  });

  it(`packages/core/src stays under ${CODE_BUDGET} lines of code, no file over ${FILE_BUDGET} lines`, () => {
    const m = measure() as { code: number; tooLong: Array<{ file: string }>; files: unknown[] };
    expect(m.files.length).toBeGreaterThan(20);
    expect(m.tooLong).toEqual([]);
    expect(m.code).toBeLessThan(CODE_BUDGET);
  });
});
