import { pgArray } from './pg-array.js';

describe('pgArray', () => {
  it('quotes every string and escapes only quotes and backslashes', () => {
    expect(pgArray(['a', 'b c', '', 'NULL', '{x,y}'], (s) => s)).toBe(
      '{"a","b c","","NULL","{x,y}"}',
    );
    expect(pgArray(['say "hi"', 'back\\slash'], (s) => s)).toBe('{"say \\"hi\\"","back\\\\slash"}');
  });

  it('writes nulls, integers and bigints bare', () => {
    expect(pgArray([null, 1, -2, 2n ** 63n - 1n], (v) => v)).toBe(
      '{NULL,1,-2,9223372036854775807}',
    );
    expect(pgArray([], (v: string) => v)).toBe('{}');
  });

  it('maps items through the accessor', () => {
    expect(pgArray([{ id: 'x' }, { id: 'y' }], (r) => r.id)).toBe('{"x","y"}');
  });

  it('refuses non-finite numbers', () => {
    expect(() => pgArray([Number.NaN], (v) => v)).toThrow(RangeError);
  });
});
